// Db: one SQLite connection (the only file that includes sqlite3.h is common/db.cc).
//
// Opened in WAL mode with foreign keys on and a busy timeout, so readers never block the writer
// and writers from several connections (or processes) wait instead of failing. A Db and the Stmts
// it hands out belong to one thread at a time; DbPool hands connections to threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_file;

namespace hookd {

class Db;

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt();
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int idx, int64_t v);
  Stmt& Bind(int idx, std::string_view v);  // as TEXT; the bytes are copied
  Stmt& BindBlob(int idx, std::string_view v);
  Stmt& BindNull(int idx);

  // Ok(true) when a row is available, Ok(false) when done; an error otherwise.
  Result<bool> Step();
  // Steps to completion, ignoring rows.
  Status Run();
  // Clears bindings and rewinds, ready for reuse.
  void Reset();

  int64_t Int(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
};

struct DbOptions {
  // "FULL" or "NORMAL": SQLite's synchronous level (see docs/DECISIONS.md).
  std::string synchronous = "FULL";
  int busy_timeout_ms = 10000;
  // false: this connection never checkpoints the WAL itself (a WalCheckpointer does it on its own
  // thread, so commits do not stall copying the WAL back into the database).
  bool auto_checkpoint = true;
};

// The WAL's state after a checkpoint: frames in it, and how many of those are in the database.
struct WalState {
  int frames = 0;
  int checkpointed = 0;
};

class Db {
 public:
  // Opens (creating if needed) the database file at `path`.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, const DbOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  // A statement prepared once per connection and reused; reset before it is returned.
  // The pointer stays valid for the connection's lifetime.
  Result<Stmt*> Cached(const std::string& sql);
  int64_t Changes() const;
  // Pages this connection has had to read from the file (or the WAL) since it opened: a
  // transaction that finds the WAL changed by another connection starts from an empty cache.
  int64_t CacheMisses() const;
  // kPassive copies what it can of the WAL into the database without waiting for readers or
  // writers. kRestart waits (busy handler) for the writer and for readers of old snapshots,
  // copies everything, and makes the next writer start the WAL over.
  enum class CheckpointMode { kPassive, kRestart };
  Result<WalState> Checkpoint(CheckpointMode mode = CheckpointMode::kPassive);
  // Makes every transaction this connection has committed durable: syncs the WAL file, as a
  // commit with synchronous=FULL does before it releases the write lock. A connection opened
  // with synchronous=NORMAL can commit (holding the write lock only for the writes) and then sync
  // with this, outside the lock, before it tells anyone the data is stored. Needs WAL mode and a
  // transaction committed on this connection (the WAL file is open then).
  Status SyncWal();
  // SyncWal in two steps, for a connection shared by threads (common/shared_writer.h): the open
  // WAL file, found while holding the connection, stays valid until the connection closes;
  // SyncWalFile syncs it without touching the connection.
  using WalFile = sqlite3_file*;
  Result<WalFile> OpenWalFile();
  static Status SyncWalFile(WalFile wal);
  std::string LastError() const;
  // Rewinds every cached statement, so none holds a read snapshot open (which would keep WAL
  // checkpoints from finishing).
  void ResetCached();

 private:
  explicit Db(sqlite3* handle) : handle_(handle) {}
  sqlite3* handle_;
  int busy_timeout_ms_ = 0;  // read by the busy handler
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<std::unique_ptr<Transaction>> Begin(Db& db);
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

// A bounded set of connections to one database file, lent out one thread at a time.
// Thread-safe.
class DbPool {
 public:
  DbPool(std::string path, DbOptions options, size_t max_idle = 8)
      : path_(std::move(path)), options_(std::move(options)), max_idle_(max_idle) {}

  class Lease {
   public:
    Lease(DbPool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) pool_->Return(std::move(db_));
    }
    Db& operator*() { return *db_; }
    Db* operator->() { return db_.get(); }

   private:
    DbPool* pool_;
    std::unique_ptr<Db> db_;
  };

  // A connection, opened on demand when none is idle.
  Result<Lease> Acquire();
  const std::string& path() const { return path_; }
  const DbOptions& options() const { return options_; }

 private:
  void Return(std::unique_ptr<Db> db);

  const std::string path_;
  const DbOptions options_;
  const size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Db>> idle_;  // guarded by mu_
};

}  // namespace hookd
