// SharedWriter: the one SQLite connection that a process's writers take turns on (ingest's and
// publishing's group committers, the delivery engine). SQLite lets one transaction write at a
// time anyway; on separate connections each transaction also found the WAL changed by another
// connection and started from an empty page cache, reading back the pages the previous writer
// had just written (docs/DECISIONS.md, "One writing connection"). The connection commits
// without syncing (synchronous=NORMAL); a writer whose commit must be durable before it answers
// calls SyncWal after it lets go of the connection, so the others do not wait for the disk.
//
// Thread-safety: Hold from any thread; a thread may hold it again while it holds it.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/db.h"

namespace hookd {

class SharedWriter {
 public:
  // Opens the connection to `path` with `options`, whatever their synchronous level says:
  // the connection itself never syncs at a commit.
  static Result<std::unique_ptr<SharedWriter>> Open(const std::string& path, DbOptions options);

  // The connection, for this thread alone until the Held is gone: a whole transaction runs
  // under one Held.
  class Held {
   public:
    explicit Held(SharedWriter& w) : lock_(w.mu_), db_(*w.db_) {}
    Db& operator*() { return db_; }
    Db* operator->() { return &db_; }

   private:
    std::unique_lock<std::recursive_mutex> lock_;
    Db& db_;
  };
  Held Hold() { return Held(*this); }

  // Makes every transaction committed on the connection so far durable (the WAL synced, as a
  // commit with synchronous=FULL does), holding the connection only to find its WAL file.
  Status SyncWal();

 private:
  explicit SharedWriter(std::unique_ptr<Db> db) : db_(std::move(db)) {}
  std::recursive_mutex mu_;
  std::unique_ptr<Db> db_;
};

}  // namespace hookd
