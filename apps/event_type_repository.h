// EventTypeRepository: the event types seen (migrations/0017_event_types.sql), per application and
// overall, whichever engine holds them (SqliteEventTypeStore on SQLite, PgEventTypeStore on
// PostgreSQL), with the same answers on both. Fan-out records a type in the transaction that
// publishes its message (deliver/fanout.cc on SQLite; PgEventTypeStore::Record on PostgreSQL).
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace hookd {

// One event type: how many messages had it and when the last one was published (unix ms).
struct EventTypeSeen {
  std::string event_type;
  int64_t count = 0;
  int64_t last_seen = 0;
};

class EventTypeRepository {
 public:
  virtual ~EventTypeRepository() = default;

  // In type order (bytes compared), types after `after`, at most `limit` + 1 rows (the last
  // telling there are more). `app_id` absent: every application's, their counts added and the
  // latest last_seen.
  virtual Result<std::vector<EventTypeSeen>> List(const std::optional<std::string>& app_id,
                                                  const std::optional<std::string>& after,
                                                  int limit) = 0;
};

}  // namespace hookd
