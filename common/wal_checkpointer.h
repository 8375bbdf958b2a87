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
// Thread-safety: Start/Stop from one owner thread.
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

  // Opens the checkpointer's connection and starts its thread.
  Status Start();
  // Runs a last checkpoint and stops the thread. Idempotent.
  void Stop();
  // What the latest checkpoint found: frames in the WAL, and how many are in the database.
  WalState last_state() const;

 private:
  void Loop();
  void CheckpointOnce();

  const std::string path_;
  const DbOptions options_;
  const std::chrono::milliseconds interval_;
  const int restart_frames_;
  std::unique_ptr<Db> db_;  // used by the thread only (and by Stop after joining it)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  WalState last_state_;    // guarded by mu_
  ErrorLog errors_;
  std::thread thread_;
};

}  // namespace hookd
