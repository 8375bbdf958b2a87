#include "ingest/sqlite_event_store.h"

#include "common/status_log.h"

namespace hookd {

Result<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(DbPool& pool,
                                                                 AfterInsert after_insert,
                                                                 BeforeBatch before_batch,
                                                                 SharedWriter* writer) {
  // The writing connection commits without the sync; with synchronous=FULL CommitBatch syncs the
  // WAL after letting go of it, before it returns (so before any request is answered): the other
  // writers and the delivery engine do not wait behind the disk (docs/DECISIONS.md, "The
  // messages writer syncs outside the write lock").
  const bool sync_wal = pool.options().synchronous == "FULL";
  std::unique_ptr<SharedWriter> own;
  if (!writer) {
    auto opened = SharedWriter::Open(pool.path(), pool.options());
    if (!opened.ok()) return opened.status();
    own = std::move(opened).value();
    writer = own.get();
  }
  return std::unique_ptr<SqliteEventStore>(new SqliteEventStore(
      pool, std::move(own), *writer, std::move(after_insert), std::move(before_batch), sync_wal));
}

Status SqliteEventStore::InsertAll(Db& db, const std::vector<Event>& batch,
                                   std::vector<IngestOutcome>& out) {
  if (before_batch_) {
    if (Status s = before_batch_(db); !s.ok()) return s;
  }
  for (const Event& e : batch) {
    // ON CONFLICT DO NOTHING + RETURNING yields no row for a duplicate, which the unique index
    // decides, so concurrent requests and restarts cannot make a second event.
    auto ins = db.Cached(
        "INSERT INTO events (id, source_id, provider, provider_event_id, type, headers, body,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (source_id, provider_event_id) DO NOTHING RETURNING seq");
    if (!ins.ok()) return ins.status();
    Stmt& st = **ins;
    st.Bind(1, e.id).Bind(2, e.source_id).Bind(3, e.provider).Bind(4, e.provider_event_id);
    st.Bind(5, e.type).Bind(6, e.headers_json).BindBlob(7, e.body).Bind(8, e.received_at);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (*row) {
      Status s = st.Run();  // finish the statement
      if (!s.ok()) return s;
      s = AppendStatus(db, "event.received", e.received_at,
                       {{"app_id", e.app_id},
                        {"event_id", e.id},
                        {"source_id", e.source_id},
                        {"provider", e.provider},
                        {"type", e.type},
                        {"provider_event_id", e.provider_event_id}});
      if (!s.ok()) return s;
      if (after_insert_) {
        if (s = after_insert_(db, e); !s.ok()) return s;
      }
      out.push_back({e.id, false});
      continue;
    }
    auto find = db.Cached("SELECT id FROM events WHERE source_id = ? AND provider_event_id = ?");
    if (!find.ok()) return find.status();
    auto found = (*find)->Bind(1, e.source_id).Bind(2, e.provider_event_id).Step();
    if (!found.ok()) return found.status();
    if (!*found) return Status::Internal("dedup conflict without a stored event");
    out.push_back({(*find)->Text(0), true});
  }
  return Status::Ok();
}

Result<std::vector<IngestOutcome>> SqliteEventStore::CommitBatch(const std::vector<Event>& batch) {
  std::vector<IngestOutcome> out;
  out.reserve(batch.size());
  Status s;
  {
    SharedWriter::Held db = writer_.Hold();
    auto txn = Transaction::Begin(*db);
    if (!txn.ok()) return txn.status();
    s = InsertAll(*db, batch, out);
    db->ResetCached();
    if (s.ok()) s = (*txn)->Commit();
  }  // a transaction that did not commit rolls back here
  if (!s.ok()) return s;
  if (sync_wal_) {
    if (s = writer_.SyncWal(); !s.ok())
      return Status::Unavailable("the batch was committed but could not be made durable (" +
                                 s.message() + "); it may or may not be stored");
  }
  return out;
}

Result<Event> SqliteEventStore::Get(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT seq, id, source_id, provider, provider_event_id, type, headers, body, received_at"
      " FROM events WHERE id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no event " + id);
  const Stmt& r = **st;
  return Event{r.Int(0),  r.Text(1), r.Text(2), r.Text(3), r.Text(4),
               r.Text(5), r.Text(6), r.Text(7), r.Int(8)};
}

Result<std::vector<Event>> SqliteEventStore::List(const EventFilter& filter,
                                                  const std::optional<std::string>& after,
                                                  int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT seq, id, source_id, provider, provider_event_id, type, received_at FROM events"
      " WHERE (?1 IS NULL OR source_id = ?1) AND (?2 IS NULL OR type = ?2)"
      " AND (?3 IS NULL OR seq < (SELECT seq FROM events WHERE id = ?3))"
      " ORDER BY seq DESC LIMIT ?4");
  if (!st.ok()) return st.status();
  Stmt& q = **st;
  auto bind_opt = [&q](int i, const std::optional<std::string>& v) {
    if (v)
      q.Bind(i, *v);
    else
      q.BindNull(i);
  };
  bind_opt(1, filter.source_id);
  bind_opt(2, filter.type);
  bind_opt(3, after);
  q.Bind(4, static_cast<int64_t>(limit) + 1);
  std::vector<Event> out;
  while (true) {
    auto row = q.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(
        Event{q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), "", "", q.Int(6)});
  }
  return out;
}

}  // namespace hookd
