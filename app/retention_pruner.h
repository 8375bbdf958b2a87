// RetentionPruner: deletes what has outlived its retention (API.md, "Retention";
// docs/DECISIONS.md) on its own connection and thread, in small transactions, so ingest's group
// commit and the delivery dispatcher never wait long for SQLite's write lock.
//
// What goes, each table walked oldest first:
// - messages created before the data window whose deliveries are all final (succeeded or
//   failed) and have not changed since the window began, together with those deliveries and
//   their attempts, in one transaction (no orphans). A message with a pending or retrying
//   delivery is kept however old, with its attempts and the event it is delivered from. A
//   message with an Idempotency-Key is kept at least the key's 24 hours.
// - events received before the data window that no remaining message is delivered from.
// - status-log entries written before the status-log window, except the newest entry, which
//   keeps `seq` increasing (a rowid without AUTOINCREMENT restarts after an emptied table).
// "Oldest first" walks a table in insertion order (seq) and stops at the first row inside its
// window. Time and insertion order agree up to a commit's delay, so the times need no index; a
// row stamped in the future (a clock stepped back) only delays the pruning of the rows after it,
// and nothing inside its window is ever deleted.
//
// Thread-safety: RunOnce from one thread at a time (the pruner's own thread once Start()ed);
// Start and Stop from one owner thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/retention.h"
#include "common/status.h"

namespace hookd {

class RetentionPruner {
 public:
  // `db` is the pruner's own connection (synchronous=NORMAL is enough: a deletion lost to a
  // power failure is simply made again).
  // A failed run is logged to `logger` (and retried at the next interval).
  RetentionPruner(std::unique_ptr<Db> db, RetentionOptions options, const Clock& clock,
                  Metrics& metrics, const Logger& logger = Logger::Discard());
  ~RetentionPruner();
  RetentionPruner(const RetentionPruner&) = delete;
  RetentionPruner& operator=(const RetentionPruner&) = delete;

  // Deletes everything past its window at `now_ms`, in transactions of at most batch_rows rows,
  // pausing between them (a batch_rows below 1 is refused with kInvalidField, nothing deleted).
  // Database errors end the run and are returned in the report, never thrown; what was committed
  // before stays deleted.
  PruneReport RunOnce(int64_t now_ms);

  // Starts the thread that calls RunOnce every `interval`.
  void Start();
  // Stops the thread; a run in progress ends after its current transaction. Idempotent.
  void Stop();

 private:
  // Each step runs one transaction and sets `done` once its table has nothing more to delete.
  Status PruneMessagesStep(int64_t cutoff, int64_t idempotency_cutoff, int64_t& cursor, bool& done,
                           PruneReport& tx);
  Status PruneEventsStep(int64_t cutoff, int64_t& cursor, bool& done, PruneReport& tx);
  Status PruneStatusLogStep(int64_t cutoff, bool& done, PruneReport& tx);
  // BEGIN IMMEDIATE, noting when the write lock was taken.
  Result<std::unique_ptr<Transaction>> Begin();
  void Count(const PruneReport& tx, std::chrono::steady_clock::duration held, PruneReport& total);
  // Waits `held` x pause_factor unless stopping; false once Stop() was called.
  bool Pause(std::chrono::steady_clock::duration held);
  void Loop();

  const std::unique_ptr<Db> db_;                     // used by RunOnce only
  std::chrono::steady_clock::time_point locked_at_;  // used by RunOnce only
  const RetentionOptions options_;
  const Clock& clock_;
  const Logger& logger_;
  prometheus::Counter& pruned_events_;
  prometheus::Counter& pruned_messages_;
  prometheus::Counter& pruned_deliveries_;
  prometheus::Counter& pruned_attempts_;
  prometheus::Counter& pruned_status_log_;
  prometheus::Histogram& transaction_seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
