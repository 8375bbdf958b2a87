#include "common/db.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>

namespace hookd {
namespace {

Status SqlError(sqlite3* h, std::string_view what) {
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(h);
  int code = sqlite3_errcode(h);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_FULL || code == SQLITE_IOERR ||
      code == SQLITE_READONLY)
    return Status::Unavailable(msg);
  return Status::Internal(msg);
}

// SQLite's default busy handler sleeps 1, 2, 5, 10, 15, 20 ms... between retries, so a short
// wait for another connection's commit (the ingest writer, the delivery dispatcher) became tens of
// milliseconds. Retry every 100 us for the first 10 ms, then every millisecond.
int BusyHandler(void* timeout_ms, int count) {
  const int limit = *static_cast<int*>(timeout_ms);
  const int waited_ms = count < 100 ? count / 10 : 10 + (count - 100);
  if (waited_ms >= limit) return 0;
  std::this_thread::sleep_for(count < 100 ? std::chrono::microseconds(100)
                                          : std::chrono::microseconds(1000));
  return 1;
}

}  // namespace

Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::Bind(int idx, int64_t v) {
  sqlite3_bind_int64(stmt_, idx, v);
  return *this;
}
Stmt& Stmt::Bind(int idx, std::string_view v) {
  sqlite3_bind_text64(stmt_, idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::BindBlob(int idx, std::string_view v) {
  sqlite3_bind_blob64(stmt_, idx, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int idx) {
  sqlite3_bind_null(stmt_, idx);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqlError(sqlite3_db_handle(stmt_), "step");
}

Status Stmt::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
std::string Stmt::Text(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), n) : std::string();
}
bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const DbOptions& options) {
  sqlite3* h = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &h, flags, nullptr) != SQLITE_OK) {
    Status s = Status::Unavailable("cannot open database " + path + ": " +
                                   (h ? sqlite3_errmsg(h) : "out of memory"));
    sqlite3_close(h);
    return s;
  }
  std::unique_ptr<Db> db(new Db(h));
  db->busy_timeout_ms_ = options.busy_timeout_ms;
  sqlite3_busy_handler(h, BusyHandler, &db->busy_timeout_ms_);
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL")
    return Status::InvalidField("synchronous must be FULL or NORMAL");
  // A larger page cache keeps index pages (the dedup index is written in no particular order)
  // out of pread calls as the database grows. No memory-mapped reads: a connection that finds
  // the WAL changed by another one (every transaction here: ingest, publishing and the
  // dispatcher write on their own connections) unmaps its whole mapping, and the munmap, its
  // TLB shootdowns and the page faults after it cost more than the preads they save
  // (docs/BENCHMARKS.md, "CPU per unit of work").
  for (const std::string& pragma :
       {std::string("PRAGMA journal_mode=WAL"), "PRAGMA synchronous=" + options.synchronous,
        std::string("PRAGMA foreign_keys=ON"), std::string("PRAGMA cache_size=-32768"),
        std::string("PRAGMA mmap_size=0")}) {
    Status s = db->Exec(pragma);
    if (!s.ok()) return s;
  }
  if (!options.auto_checkpoint) {
    if (Status s = db->Exec("PRAGMA wal_autocheckpoint=0"); !s.ok()) return s;
  }
  return db;
}

Result<WalState> Db::Checkpoint(CheckpointMode mode) {
  WalState state;
  const int rc = sqlite3_wal_checkpoint_v2(
      handle_, nullptr,
      mode == CheckpointMode::kRestart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
      &state.frames, &state.checkpointed);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) return SqlError(handle_, "checkpoint");
  return state;
}

Status Db::SyncWal() {
  auto wal = OpenWalFile();
  if (!wal.ok()) return wal.status();
  return SyncWalFile(*wal);
}

Result<Db::WalFile> Db::OpenWalFile() {
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(handle_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
      !wal || !wal->pMethods)
    return Status::Unavailable("syncing the WAL: this connection has no WAL file open");
  return wal;
}

Status Db::SyncWalFile(WalFile wal) {
  // What SQLite itself does after a commit with synchronous=FULL (fdatasync on Linux).
  if (const int rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL); rc != SQLITE_OK)
    return Status::Unavailable(std::string("syncing the WAL: ") + sqlite3_errstr(rc));
  return Status::Ok();
}

Db::~Db() {
  cache_.clear();
  sqlite3_close_v2(handle_);
}

Status Db::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(handle_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    Status s = SqlError(handle_, "exec");
    return Status(s.kind(), s.code(), msg);
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(handle_, sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    return SqlError(handle_, "prepare");
  return Stmt(this, s);
}

Result<Stmt*> Db::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto st = Prepare(sql);
    if (!st.ok()) return st.status();
    it = cache_.emplace(sql, std::make_unique<Stmt>(std::move(st).value())).first;
  }
  it->second->Reset();
  return it->second.get();
}

void Db::ResetCached() {
  for (auto& [sql, st] : cache_) st->Reset();
}

int64_t Db::CacheMisses() const {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(handle_, SQLITE_DBSTATUS_CACHE_MISS, &current, &highwater, 0);
  return current;
}

int64_t Db::Changes() const { return sqlite3_changes64(handle_); }
std::string Db::LastError() const { return sqlite3_errmsg(handle_); }

Result<std::unique_ptr<Transaction>> Transaction::Begin(Db& db) {
  Status s = db.Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Status s = db_.Exec("COMMIT");
  if (s.ok()) done_ = true;  // on failure the destructor rolls back
  return s;
}

Result<DbPool::Lease> DbPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  auto db = Db::Open(path_, options_);
  if (!db.ok()) return db.status();
  return Lease(this, std::move(db).value());
}

void DbPool::Return(std::unique_ptr<Db> db) {
  db->ResetCached();
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(db));
}

}  // namespace hookd
