// EndpointStore: durable storage of endpoints on SQLite (through the pool), the
// EndpointRepository of the SQLite engine. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/db.h"
#include "common/result.h"
#include "deliver/endpoint.h"
#include "deliver/endpoint_repository.h"

namespace hookd {

class EndpointStore final : public EndpointRepository {
 public:
  explicit EndpointStore(DbPool& pool) : pool_(pool) {}

  Status Insert(const Endpoint& e) override;
  // 404 not_found when missing.
  Result<Endpoint> Get(const std::string& id) override;
  // Newest first after the id `after`; up to limit + 1 rows.
  Result<std::vector<Endpoint>> List(
      const std::optional<std::string>& after, int limit,
      const std::optional<std::string>& app_id = std::nullopt) override;
  // Every endpoint, enabled or not (the delivery engine's and fan-out's snapshot).
  Result<std::vector<Endpoint>> All() override;
  // The same with the endpoints version, read first: a change committed between the two reads
  // makes the endpoints newer than the version, never older (a later check reloads them).
  Result<VersionedEndpoints> AllVersioned() override;
  // The endpoints version alone (see VersionIn).
  Result<int64_t> Version() override;
  // Replaces the stored row; 404 when missing.
  Status Update(const Endpoint& e) override;
  Status Delete(const std::string& id) override;

  // Row codec, shared with writers that run inside another transaction.
  static Status UpdateIn(Db& db, const Endpoint& e);
  // On `db`, in its transaction when it has one: the endpoints version (bumped by triggers in
  // every transaction that adds, deletes, or changes an endpoint's settings: everything but the
  // engine's own failing_since, circuit and circuit_retry_at), and every endpoint with it.
  static Result<int64_t> VersionIn(Db& db);
  static Result<VersionedEndpoints> AllIn(Db& db);

 private:
  DbPool& pool_;
};

}  // namespace hookd
