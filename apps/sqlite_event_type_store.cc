#include "apps/sqlite_event_type_store.h"

namespace hookd {

Result<std::vector<EventTypeSeen>> SqliteEventTypeStore::List(
    const std::optional<std::string>& app_id, const std::optional<std::string>& after, int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // One application's from the primary key; all of them through event_types_type, grouped.
  auto st = (*db)->Cached(
      app_id ? "SELECT event_type, count, last_seen FROM event_types WHERE app_id = ?1"
               " AND (?2 IS NULL OR event_type > ?2) ORDER BY event_type LIMIT ?3"
             : "SELECT event_type, SUM(count), MAX(last_seen) FROM event_types"
               " WHERE (?2 IS NULL OR event_type > ?2) GROUP BY event_type ORDER BY event_type"
               " LIMIT ?3");
  if (!st.ok()) return st.status();
  if (app_id) (*st)->Bind(1, *app_id);
  if (after) (*st)->Bind(2, *after);
  (*st)->Bind(3, static_cast<int64_t>(limit) + 1);
  std::vector<EventTypeSeen> out;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) {
      (*st)->Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back(EventTypeSeen{(*st)->Text(0), (*st)->Int(1), (*st)->Int(2)});
  }
  (*st)->Reset();
  return out;
}

}  // namespace hookd
