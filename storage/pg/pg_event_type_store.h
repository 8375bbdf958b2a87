// EventTypeRepository on PostgreSQL, over a PgPool: the same lists as SqliteEventTypeStore (type
// order by bytes, COLLATE "C"), and Record, the statement fan-out runs on PostgreSQL in the
// transaction that publishes a message (docs/DECISIONS.md, "PostgreSQL: event types"). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/event_type_repository.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgEventTypeStore final : public EventTypeRepository {
 public:
  explicit PgEventTypeStore(PgPool& pool) : pool_(pool) {}

  Result<std::vector<EventTypeSeen>> List(const std::optional<std::string>& app_id,
                                          const std::optional<std::string>& after,
                                          int limit) override;

  // One more message of `event_type` for the application, published at `at` (unix ms): as
  // SQLite's fan-out, the count goes up by one and last_seen never goes back. One atomic upsert,
  // so records from several nodes at once all count. Runs on the caller's connection, inside its
  // transaction when it has one; a transaction recording several types should record them in type
  // order, so two such transactions cannot deadlock on each other's rows.
  static Status Record(PgConn& conn, const std::string& app_id, const std::string& event_type,
                       int64_t at);

 private:
  PgPool& pool_;
};

}  // namespace hookd
