#include "common/db_backup.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <thread>

namespace hookd {
namespace {

struct Closer {
  void operator()(sqlite3* h) const { sqlite3_close_v2(h); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

Result<Handle> OpenExisting(const std::string& path, int flags) {
  sqlite3* h = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &h, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Handle handle(h);
  if (rc != SQLITE_OK)
    return Status::Unavailable("cannot open database " + path + ": " +
                               (h ? sqlite3_errmsg(h) : sqlite3_errstr(rc)));
  sqlite3_extended_result_codes(h, 1);
  return handle;
}

Status Exec(sqlite3* h, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = what + ": " + (err ? err : sqlite3_errmsg(h));
    sqlite3_free(err);
    return Status::Unavailable(msg);
  }
  return Status::Ok();
}

// The rows of PRAGMA integrity_check joined by "; " (at most 10 of them), "ok" when sound.
Result<std::string> IntegrityCheck(sqlite3* h) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, "PRAGMA integrity_check(10)", -1, &st, nullptr) != SQLITE_OK)
    return Status::Unavailable(std::string("integrity check: ") + sqlite3_errmsg(h));
  std::string result;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!result.empty()) result += "; ";
    const unsigned char* text = sqlite3_column_text(st, 0);
    result += text ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return Status::Unavailable(std::string("integrity check: ") + sqlite3_errmsg(h));
  return result;
}

bool Busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

}  // namespace

Result<BackupStats> BackupDatabase(const std::string& source, const std::string& target,
                                   const BackupOptions& options) {
  // Read-write without CREATE: a missing database is an error, not a new empty one.
  auto src = OpenExisting(source, SQLITE_OPEN_READWRITE);
  if (!src.ok()) return src.status();
  auto dst = OpenExisting(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst.ok()) return dst.status();
  sqlite3* s = src->get();
  sqlite3* d = dst->get();
  // SQLite waits up to a second itself; the step loop below retries for the rest of busy_limit.
  const int busy_ms = static_cast<int>(std::min<int64_t>(options.busy_limit.count(), 1000));
  sqlite3_busy_timeout(s, busy_ms);
  sqlite3_busy_timeout(d, busy_ms);

  // The snapshot: a read transaction held across every step. Without it each step would take a
  // new snapshot, and a commit by hookd between two steps would restart the copy from page 1.
  if (Status st = Exec(s, "BEGIN", "reading " + source); !st.ok()) return st;
  if (Status st = Exec(s, "SELECT COUNT(*) FROM sqlite_schema", "reading " + source); !st.ok())
    return st;

  sqlite3_backup* backup = sqlite3_backup_init(d, "main", s, "main");
  if (!backup) return Status::Unavailable("backup of " + source + ": " + sqlite3_errmsg(d));
  BackupStats stats;
  auto busy_since = std::chrono::steady_clock::time_point();
  int rc = SQLITE_OK;
  while (true) {
    rc = sqlite3_backup_step(backup, options.pages_per_step);
    if (rc == SQLITE_DONE) break;
    if (Busy(rc)) {
      const auto now = std::chrono::steady_clock::now();
      if (busy_since == std::chrono::steady_clock::time_point()) busy_since = now;
      if (now - busy_since > options.busy_limit) break;
      ++stats.busy_retries;
      std::this_thread::sleep_for(options.busy_sleep);
      continue;
    }
    if (rc != SQLITE_OK) break;
    busy_since = {};
    ++stats.steps;
    if (options.on_step)
      options.on_step(sqlite3_backup_remaining(backup), sqlite3_backup_pagecount(backup));
  }
  ++stats.steps;  // the step that finished (or failed)
  stats.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  Exec(s, "COMMIT", "reading " + source);  // ends the read transaction; nothing to fail
  if (rc != SQLITE_DONE)
    return Status::Unavailable("backup of " + source + " into " + target + ": " +
                               sqlite3_errstr(rc));

  // The copy keeps the source's WAL flag in its header; a backup file is one self-contained file.
  if (Status st = Exec(d, "PRAGMA journal_mode=DELETE", "finishing " + target); !st.ok()) return st;
  auto check = IntegrityCheck(d);
  if (!check.ok())
    return Status::Internal("the copy in " + target + " failed: " + check.status().message());
  if (*check != "ok")
    return Status::Internal("the copy in " + target + " failed its integrity check: " + *check);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(d, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    stats.page_size = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return stats;
}

Status CheckDatabaseIntegrity(const std::string& path) {
  auto db = OpenExisting(path, SQLITE_OPEN_READONLY);
  if (!db.ok()) return db.status();
  auto check = IntegrityCheck(db->get());
  // A page damaged badly enough fails the check itself ("database disk image is malformed").
  if (!check.ok()) return Status::Internal(path + ": " + check.status().message());
  if (*check != "ok") return Status::Internal(path + " failed its integrity check: " + *check);
  return Status::Ok();
}

}  // namespace hookd
