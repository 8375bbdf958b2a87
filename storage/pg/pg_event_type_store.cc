#include "storage/pg/pg_event_type_store.h"

namespace hookd {

Result<std::vector<EventTypeSeen>> PgEventTypeStore::List(const std::optional<std::string>& app_id,
                                                          const std::optional<std::string>& after,
                                                          int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  const PgParam cursor = after ? PgParam(*after) : PgParam(nullptr);
  const int64_t rows = static_cast<int64_t>(limit) + 1;
  // Types compare as bytes, as SQLite compares text, whatever the database's locale. One
  // application's from the primary key; all of them grouped, as on SQLite.
  auto r = app_id ? (*conn)->Exec(
                        "SELECT event_type, count, last_seen FROM event_types WHERE app_id = $1"
                        " AND ($2::text IS NULL OR event_type > $2 COLLATE \"C\")"
                        " ORDER BY event_type COLLATE \"C\" LIMIT $3",
                        {*app_id, cursor, rows})
                  : (*conn)->Exec(
                        "SELECT event_type, SUM(count)::bigint, MAX(last_seen) FROM event_types"
                        " WHERE ($1::text IS NULL OR event_type > $1 COLLATE \"C\")"
                        " GROUP BY event_type ORDER BY event_type COLLATE \"C\" LIMIT $2",
                        {cursor, rows});
  if (!r.ok()) return r.status();
  std::vector<EventTypeSeen> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    auto count = r->Int(row, 1);
    if (!count.ok()) return count.status();
    auto last_seen = r->Int(row, 2);
    if (!last_seen.ok()) return last_seen.status();
    out.push_back(EventTypeSeen{std::string(r->Text(row, 0)), *count, *last_seen});
  }
  return out;
}

Status PgEventTypeStore::Record(PgConn& conn, const std::string& app_id,
                                const std::string& event_type, int64_t at) {
  auto r = conn.Exec(
      "INSERT INTO event_types (app_id, event_type, count, last_seen) VALUES ($1, $2, 1, "
      "$3::bigint)"
      " ON CONFLICT (app_id, event_type) DO UPDATE SET count = event_types.count + 1,"
      " last_seen = GREATEST(event_types.last_seen, excluded.last_seen)",
      {app_id, event_type, at});
  if (!r.ok()) return r.status();
  return Status::Ok();
}

}  // namespace hookd
