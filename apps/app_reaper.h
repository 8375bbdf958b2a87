// AppReaper: removes what a deleted application leaves (API.md: "DELETE answers 204; from then on
// nothing of the app is served or attempted, and its rows are removed in the background").
// Deleting an application deleted its endpoints at once (ApplicationRepository::Delete); this
// removes the rest on its own connection and thread, in small transactions so ingest's and the
// dispatcher's writes never wait long: its messages with their deliveries and attempts, its
// sources, tokens and event types, and finally the application's row.
//
// Thread-safety: RunOnce from one thread at a time (the reaper's own once Start()ed); Start and
// Stop from one owner thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "common/db.h"
#include "common/log.h"
#include "common/status.h"

namespace hookd {

struct ReapReport {
  int64_t applications = 0;  // rows of deleted applications removed, everything of them gone
  int64_t messages = 0;
  int64_t deliveries = 0;
  bool skipped = false;  // PostgreSQL: another node held the reaper's lock, so nothing was done
  Status status;
};

class AppReaper {
 public:
  AppReaper(std::unique_ptr<Db> db, std::chrono::milliseconds interval, int batch_messages,
            const Logger& logger)
      : db_(std::move(db)), interval_(interval), batch_(batch_messages), logger_(logger) {}
  ~AppReaper() { Stop(); }

  // Everything of every deleted application, batch by batch (a batch_messages below 1 is refused
  // with kInvalidField, nothing removed).
  ReapReport RunOnce();
  void Start();
  void Stop();

 private:
  // One batch of one application: up to batch_ messages with their deliveries and attempts, or,
  // once none are left, its other rows and itself. Returns whether anything of it was left.
  Result<bool> ReapBatch(const std::string& app_id, ReapReport& report);
  void Loop();

  std::unique_ptr<Db> db_;
  const std::chrono::milliseconds interval_;
  const int batch_;
  const Logger& logger_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
