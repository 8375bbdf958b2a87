// Online copy of a live SQLite database with SQLite's backup API, and the integrity check of a
// copy. With common/db.cc the only file that includes sqlite3.h.
//
// The copy is one consistent snapshot: the source connection holds a read transaction from before
// the first page is copied to after the last, so the copy has every transaction committed before
// the backup began and none of those committed during it. In WAL mode that read transaction does
// not block writers (hookd keeps ingesting); it only keeps checkpoints from reusing the WAL until
// the copy is done, so the WAL grows by what is written meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"

namespace hookd {

struct BackupOptions {
  // Pages copied per sqlite3_backup_step: small steps keep each call short.
  int pages_per_step = 256;
  // A step that finds the source or the copy busy or locked is retried after `busy_sleep`, for
  // at most `busy_limit` in a row.
  std::chrono::milliseconds busy_sleep{10};
  std::chrono::milliseconds busy_limit{30000};
  // Called after every step that copied pages, with the pages still to copy and the total; tests
  // use it to write to the source between steps.
  std::function<void(int remaining, int total)> on_step;
};

struct BackupStats {
  int64_t pages = 0;
  int64_t page_size = 0;
  int steps = 0;
  int busy_retries = 0;
};

// Copies the database `source` (which must exist; it is opened read-write, as a WAL database needs,
// but not changed) into `target`, an existing empty file or a new one, which ends up a
// self-contained database in rollback-journal mode (no -wal file beside it) that has passed
// PRAGMA integrity_check. On failure `target` may hold a partial copy.
Result<BackupStats> BackupDatabase(const std::string& source, const std::string& target,
                                   const BackupOptions& options = {});

// PRAGMA integrity_check on the database file at `path`: Ok, or an error with the first problems.
Status CheckDatabaseIntegrity(const std::string& path);

}  // namespace hookd
