#include "storage/pg/pg_migrations.h"

#include <algorithm>
#include <set>
#include <string>

#include "storage/pg/pg_conn.h"

namespace hookd {
namespace {

// Releases the advisory lock when the runner returns. A connection lost meanwhile has released
// it already (the server drops a session's locks with it).
class MigrationLock {
 public:
  explicit MigrationLock(PgConn& conn) : conn_(conn) {}
  ~MigrationLock() {
    if (conn_.healthy()) (void)conn_.Exec("SELECT pg_advisory_unlock($1)", {kPgMigrationLockKey});
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  PgConn& conn_;
};

}  // namespace

Status ApplyPgMigrations(PgConn& conn, const std::vector<Migration>& migrations) {
  if (conn.in_transaction())
    return Status::Internal("migrations: the connection is in a transaction");
  auto locked = conn.Exec("SELECT pg_advisory_lock($1)", {kPgMigrationLockKey});
  if (!locked.ok()) return locked.status();
  MigrationLock unlock(conn);

  // Under the lock: two runners creating the table at once would collide in the catalog.
  Status s = conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  if (!s.ok()) return s;
  auto rows = conn.Exec("SELECT version FROM schema_migrations");
  if (!rows.ok()) return rows.status();
  std::set<int64_t> applied;
  for (int r = 0; r < rows->rows(); ++r) {
    auto v = rows->Int(r, 0);
    if (!v.ok()) return v.status();
    applied.insert(*v);
  }

  const int64_t current = applied.empty() ? 0 : *applied.rbegin();
  if (Status s = CheckSchemaNotNewer(current, migrations); !s.ok()) return s;

  // Every migration not yet recorded, also one numbered below the newest recorded (migrations
  // written in parallel can land out of order), as for SQLite.
  for (const auto& m : migrations) {
    if (applied.count(m.version)) continue;
    auto txn = PgTransaction::Begin(conn);
    if (!txn.ok()) return txn.status();
    s = conn.ExecScript(m.sql);
    if (!s.ok()) return Status(s.kind(), s.code(), "migration " + m.name + ": " + s.message());
    auto rec = conn.Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                         {m.version, m.name});
    if (!rec.ok()) return rec.status();
    s = (*txn)->Commit();
    if (!s.ok()) return Status(s.kind(), s.code(), "migration " + m.name + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace hookd
