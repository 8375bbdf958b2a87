// WalCheckpointer: checkpoints the SQLite WAL on its own thread and connection.
//
// SQLite's automatic checkpoint runs inside whichever commit pushes the WAL past 1,000 pages: that
// commit then copies the WAL back into the database and syncs it, and the ingest writer or the
// delivery dispatcher stalls meanwhile. With every other connection opened with
// DbOptions::auto_checkpoint = false, this thread runs a PASSIVE checkpoint (it never waits for
// readers or writers) every `interval` instead. A PASSIVE checkpoint cannot make writers start
// the WAL over unless one of them happens to begin right after it, so under continuous writes the
// WAL could grow without end: once it holds `restart_frames` frames, the checkpoint is a RESTART,
// which waits for the writer in progress (new writers wait meanwhile), copies everything and
// makes the next writer start over.
//
// The thread only waits `interval` and calls RunOnce(); a test can instead Open() the checkpointer
// and call RunOnce() itself, one step at a time, with no thread and no waiting.
//
// Thread-safety: Open/Start/Stop from one owner thread. RunOnce uses the checkpointer's
// connection, so it is called either by the thread (after Start) or by the owner (after Open,
// without Start), never both.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/db.h"
#include "common/error_log.h"
#include "common/result.h"
#include "common/status.h"

namespace hookd {

class WalCheckpointer {
 public:
  WalCheckpointer(std::string path, DbOptions options, std::chrono::milliseconds interval,
                  int restart_frames = kDefaultRestartFrames);
  // 4,096 pages: 16 MiB of WAL with 4 KiB pages.
  static constexpr int kDefaultRestartFrames = 4096;
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Where failed checkpoints are logged (before Start; none by default).
  void SetLogger(const Logger& logger) { errors_.SetLogger(logger); }
  // Opens the checkpointer's connection (once; later calls do nothing).
  Status Open();
  // Opens the connection if needed and starts the thread, which calls RunOnce() every interval.
  Status Start();
  // Runs a last checkpoint and stops the thread. Idempotent; without a thread it does nothing.
  void Stop();
  // One checkpoint: PASSIVE, then RESTART when the WAL holds restart_frames or more. On success
  // the state is what last_state() reports next; on failure the error is written through the
  // ErrorLog (at most once per 30 s), last_state() keeps the previous state, and the error is
  // returned. Internal error when the connection is not open.
  Result<WalState> RunOnce();
  // What the latest successful checkpoint found: frames in the WAL, and how many are in the
  // database.
  WalState last_state() const;

 private:
  void Loop();

  const std::string path_;
  const DbOptions options_;
  const std::chrono::milliseconds interval_;
  const int restart_frames_;
  // Used by the thread only (and by Stop after joining it), or, with no thread, by the owner's
  // RunOnce calls.
  std::unique_ptr<Db> db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  WalState last_state_;    // guarded by mu_
  ErrorLog errors_;
  std::thread thread_;
};

}  // namespace hookd
