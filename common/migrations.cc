#include "common/migrations.h"

#include <algorithm>

#include "common/db.h"

namespace hookd {

Status CheckSchemaNotNewer(int64_t current, const std::vector<Migration>& migrations) {
  int known = 0;
  for (const auto& m : migrations) known = std::max(known, m.version);
  if (current <= known) return Status::Ok();
  return Status(ErrorKind::kConflict, "database_too_new",
                "the database is at schema version " + std::to_string(current) +
                    ", newer than this hookd knows (versions up to " + std::to_string(known) +
                    "): a newer hookd wrote it. Run that newer hookd, or restore a backup "
                    "taken before the upgrade (docs/OPERATIONS.md, \"Upgrade and rollback\")");
}

Status ApplyMigrations(Db& db, const std::vector<Migration>& migrations) {
  Status s = db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  if (!s.ok()) return s;

  auto st = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  const int64_t current = st->Int(0);
  st->Reset();  // a statement left active would lock the schema against a migration's DROP

  if (Status s = CheckSchemaNotNewer(current, migrations); !s.ok()) return s;

  // Every migration not yet recorded is applied, also one numbered below the newest recorded:
  // migrations written in parallel can land out of order.
  auto applied = db.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
  if (!applied.ok()) return applied.status();
  for (const auto& m : migrations) {
    applied->Bind(1, static_cast<int64_t>(m.version));
    auto found = applied->Step();
    if (!found.ok()) return found.status();
    const bool done = *found;
    applied->Reset();
    if (done) continue;
    auto txn = Transaction::Begin(db);
    if (!txn.ok()) return txn.status();
    s = db.Exec(m.sql);
    if (!s.ok()) return Status(s.kind(), s.code(), "migration " + m.name + ": " + s.message());
    auto rec = db.Prepare(
        "INSERT INTO schema_migrations (version, name, applied_at)"
        " VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER) * 1000)");
    if (!rec.ok()) return rec.status();
    s = rec->Bind(1, static_cast<int64_t>(m.version)).Bind(2, m.name).Run();
    if (!s.ok()) return s;
    s = (*txn)->Commit();
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace hookd
