// EventTypeCounter: keeps event_types (the event types seen, per application: API.md,
// "Applications (tenants)") up to date off the publish path. Every interval it adds the messages
// made since its last pass, grouped by (application, type), and moves its mark
// (event_types_progress) in the same transaction, so a crash neither loses nor counts a message
// twice. Counting in fan-out cost an upsert (and a page written to the WAL) per commit; a pass
// costs one read of the new messages by seq and one upsert per (application, type). The lists
// lag the messages by up to an interval. Messages of deleted applications are not counted.
// Thread-safe: RunOnce runs on the counter's own connection, from its thread or (tests) the
// caller's, not both.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/db.h"
#include "common/log.h"

namespace hookd {

struct EventTypeCount {
  Status status;
  int64_t messages = 0;  // counted in this pass
};

class EventTypeCounter {
 public:
  EventTypeCounter(std::unique_ptr<Db> db, std::chrono::milliseconds interval, int batch_messages,
                   const Logger& logger)
      : db_(std::move(db)), interval_(interval), batch_(batch_messages), logger_(logger) {}
  ~EventTypeCounter() { Stop(); }

  // Counts every message made since the last pass, batch_messages per transaction.
  EventTypeCount RunOnce();
  void Start();
  void Stop();

 private:
  // One transaction: up to batch_ messages after the mark; how many it counted.
  Result<int64_t> CountBatch();
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
