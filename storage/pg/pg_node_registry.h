// PgNodeRegistry: one hookd node's row in `nodes` on a PostgreSQL shared by several nodes
// (docs/DECISIONS.md, "PostgreSQL: the delivery queue, its claims and endpoint owners").
//
// A node registers itself, then calls Heartbeat every few seconds: it renews its row and the
// leases of the endpoints it owns (endpoint_owners), in one transaction. Any node may reap the
// nodes whose heartbeat is older than a bound: deleting their rows frees their endpoints at once
// (ON DELETE CASCADE), so their work is taken over without waiting for each endpoint's lease. A
// node reaped while alive learns it from its next Heartbeat (kNotFound) and registers again.
// Times come from the injected Clock. Thread-safe (each call takes its own connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

// What a node says of itself in `nodes`.
struct PgNodeInfo {
  std::string id;
  std::string host;
  std::string roles;
  std::string version;
};

class PgNodeRegistry {
 public:
  // `endpoint_lease`: how long each Heartbeat extends the node's endpoint leases from now.
  PgNodeRegistry(PgPool& pool, const Clock& clock, PgNodeInfo node,
                 std::chrono::milliseconds endpoint_lease)
      : pool_(pool), clock_(clock), node_(std::move(node)), endpoint_lease_(endpoint_lease) {}

  const std::string& node_id() const { return node_.id; }

  // Writes the node's row (started_at = heartbeat_at = now); a node registering again under the
  // same id (a restart) keeps none of its former endpoints. An empty id is kInvalidField.
  Status Register();
  // Renews the node's heartbeat and its endpoint leases to now + endpoint_lease; returns how many
  // endpoints it renewed. kNotFound when the node's row is gone (reaped or never registered):
  // then it owns nothing, and nothing was changed.
  Result<int64_t> Heartbeat();
  // Deletes the nodes (this one excepted) whose heartbeat is older than now - `max_age`, which
  // frees their endpoints; returns their ids in byte order. A `max_age` that is not positive is
  // kInvalidField.
  Result<std::vector<std::string>> ReapStale(std::chrono::milliseconds max_age);
  // Removes the node's row (a clean stop), freeing its endpoints. Not an error when it is gone.
  Status Deregister();

 private:
  PgPool& pool_;
  const Clock& clock_;
  const PgNodeInfo node_;
  const std::chrono::milliseconds endpoint_lease_;
};

}  // namespace hookd
