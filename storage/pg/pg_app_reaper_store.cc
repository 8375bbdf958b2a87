#include "storage/pg/pg_app_reaper_store.h"

#include <string>
#include <vector>

#include "storage/pg/pg_retry.h"

namespace hookd {

ReapReport PgAppReaperStore::RunOnce(PgSingletonLock& lock) {
  ReapReport report;
  if (batch_ < 1) {
    report.status = Status::InvalidField("app reaper: batch_messages must be at least 1");
    return report;
  }
  auto got = lock.TryAcquire();
  if (!got.ok()) {
    report.status = got.status();
    return report;
  }
  if (!*got) {
    report.skipped = true;
    return report;
  }
  std::vector<std::string> deleted;
  {
    auto conn = pool_.Acquire();
    if (!conn.ok()) {
      report.status = conn.status();
      lock.Release();
      return report;
    }
    auto r = (*conn)->Exec("SELECT id FROM applications WHERE deleted_at IS NOT NULL");
    if (!r.ok()) {
      report.status = r.status();
      lock.Release();
      return report;
    }
    for (int i = 0; i < r->rows(); ++i) deleted.emplace_back(r->Text(i, 0));
  }
  for (const std::string& app_id : deleted) {
    while (true) {
      if (!lock.StillHeld()) {
        report.status = Status::Unavailable("app reaper: the single runner's lock was lost");
        return report;
      }
      auto more = ReapBatch(app_id, report);
      if (!more.ok()) {
        report.status = more.status();
        lock.Release();
        return report;
      }
      if (!*more) break;
    }
  }
  lock.Release();
  return report;
}

Result<bool> PgAppReaperStore::ReapBatch(const std::string& app_id, ReapReport& report) {
  // Run again when it lost a race to another node's transaction (a deadlock); the counts are the
  // committed attempt's.
  return RetryPgTransaction([&] { return ReapBatchOnce(app_id, report); });
}

Result<bool> PgAppReaperStore::ReapBatchOnce(const std::string& app_id, ReapReport& report) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  auto pick =
      (*conn)->Exec("SELECT id FROM messages WHERE app_id = $1 ORDER BY seq LIMIT $2 FOR UPDATE",
                    {app_id, batch_});
  if (!pick.ok()) return pick.status();
  if (pick->rows() > 0) {
    ReapReport batch;
    for (int i = 0; i < pick->rows(); ++i) {
      const std::string id(pick->Text(i, 0));
      auto a = (*conn)->Exec(
          "DELETE FROM attempts WHERE delivery_id IN"
          " (SELECT id FROM deliveries WHERE message_id = $1)",
          {id});
      if (!a.ok()) return a.status();
      auto d = (*conn)->Exec("DELETE FROM deliveries WHERE message_id = $1", {id});
      if (!d.ok()) return d.status();
      batch.deliveries += d->Affected();
      auto m = (*conn)->Exec("DELETE FROM messages WHERE id = $1", {id});
      if (!m.ok()) return m.status();
      batch.messages += m->Affected();
    }
    if (Status s = (*txn)->Commit(); !s.ok()) return s;
    report.deliveries += batch.deliveries;
    report.messages += batch.messages;
    return true;
  }
  // No message left: the rest (portal codes and endpoint owners follow by their cascades), and
  // the application itself.
  for (const char* sql :
       {"DELETE FROM sources WHERE app_id = $1", "DELETE FROM app_tokens WHERE app_id = $1",
        "DELETE FROM event_types WHERE app_id = $1", "DELETE FROM endpoints WHERE app_id = $1"}) {
    auto r = (*conn)->Exec(sql, {app_id});
    if (!r.ok()) return r.status();
  }
  auto app = (*conn)->Exec(
      "DELETE FROM applications a WHERE a.id = $1 AND a.deleted_at IS NOT NULL"
      " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.app_id = a.id)",
      {app_id});
  if (!app.ok()) return app.status();
  const int64_t removed = app->Affected();
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  report.applications += removed;
  return false;
}

}  // namespace hookd
