// EventTypeRepository on SQLite, through the pool: the SQL the event-types routes ran before.
// Thread-safe (one pooled connection per call).
#pragma once

#include "apps/event_type_repository.h"
#include "common/db.h"

namespace hookd {

class SqliteEventTypeStore final : public EventTypeRepository {
 public:
  explicit SqliteEventTypeStore(DbPool& pool) : pool_(pool) {}

  Result<std::vector<EventTypeSeen>> List(const std::optional<std::string>& app_id,
                                          const std::optional<std::string>& after,
                                          int limit) override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
