// PgEndpointOwners: which node dispatches an endpoint, on a PostgreSQL shared by several nodes
// (endpoint_owners; docs/DECISIONS.md, "PostgreSQL: the delivery queue, its claims and endpoint
// owners").
//
// A node takes an endpoint by an upsert that succeeds only when the endpoint has no owner, is its
// own, or its owner's lease has ended; never check-then-insert, so two nodes taking one endpoint
// at once get one owner. An owner renews its leases (PgNodeRegistry::Heartbeat renews them all)
// and releases what it stops dispatching. Leases are compared with the injected Clock's now.
// Thread-safe (each call takes its own connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

struct PgOwnedEndpoint {
  std::string endpoint_id;
  int64_t lease_until = 0;
  int64_t acquired_at = 0;
};

class PgEndpointOwners {
 public:
  // `lease`: how long an acquired or renewed endpoint stays the node's from now.
  PgEndpointOwners(PgPool& pool, const Clock& clock, std::chrono::milliseconds lease)
      : pool_(pool), clock_(clock), lease_(lease) {}

  // Takes (or renews) `endpoint_id` for `node_id`: true when the node owns it now, false when
  // another node's lease holds it. kNotFound for an unknown endpoint or node.
  Result<bool> Acquire(const std::string& node_id, const std::string& endpoint_id);
  // Takes up to `limit` endpoints that have deliveries due now and no owner (or an owner whose
  // lease has ended), in id order; returns the ids taken. Endpoints another node takes meanwhile
  // are skipped. kInvalidField for a `limit` that is not positive, kNotFound for an unknown node.
  Result<std::vector<std::string>> AcquireDue(const std::string& node_id, int limit);
  // Extends the lease of `endpoint_id` to now + lease if `node_id` still owns it (its lease ended
  // but nobody took it over counts): true when renewed, false when another node owns it or
  // nobody does.
  Result<bool> Renew(const std::string& node_id, const std::string& endpoint_id);
  // Gives `endpoint_id` up: true when the node owned it (the row is gone), false otherwise.
  Result<bool> Release(const std::string& node_id, const std::string& endpoint_id);
  // The endpoints `node_id` owns with a lease that has not ended, by id in byte order.
  Result<std::vector<PgOwnedEndpoint>> Owned(const std::string& node_id);

 private:
  PgPool& pool_;
  const Clock& clock_;
  const std::chrono::milliseconds lease_;
};

}  // namespace hookd
