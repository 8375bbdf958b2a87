// EndpointStore: durable storage of endpoints on SQLite (through the pool). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/db.h"
#include "common/result.h"
#include "deliver/endpoint.h"

namespace hookd {

class EndpointStore {
 public:
  explicit EndpointStore(DbPool& pool) : pool_(pool) {}

  Status Insert(const Endpoint& e);
  // 404 not_found when missing.
  Result<Endpoint> Get(const std::string& id);
  // Newest first after the id `after`; up to limit + 1 rows.
  Result<std::vector<Endpoint>> List(const std::optional<std::string>& after, int limit);
  // Every endpoint, enabled or not (the delivery engine's and fan-out's snapshot).
  Result<std::vector<Endpoint>> All();
  // Replaces the stored row; 404 when missing.
  Status Update(const Endpoint& e);
  Status Delete(const std::string& id);

  // Row codec, shared with writers that run inside another transaction.
  static Status UpdateIn(Db& db, const Endpoint& e);

 private:
  DbPool& pool_;
};

}  // namespace hookd
