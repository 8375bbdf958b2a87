// DeliveryEngine: works the delivery queue. A dispatcher thread claims due deliveries in batches
// as leases (a crash mid-attempt makes them due again after restart, with the same webhook-id),
// queues them per endpoint in the Scheduler, starts them round-robin across endpoints through
// the AsyncSender (an attempt in flight holds no thread, and the dispatcher never waits for
// one), and writes the results back in batches through the AttemptRecorder. The CircuitBreaker
// pauses endpoints whose attempts keep failing; their work stays due and is not attempted.
// The dispatcher sleeps until the next thing it knows of: an attempt's result, a retry or a
// cool-down coming due, a rate-limit token, a Wake(), or at the latest the idle poll (work that
// another process queued).
//
// Thread-safety: Wake may be called from any thread; Start/Stop from one owner thread. The
// scheduler, the breaker and the claim state belong to the dispatcher thread alone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/error_log.h"
#include "common/metrics.h"
#include "common/random.h"
#include "common/shared_writer.h"
#include "deliver/async_sender.h"
#include "deliver/attempt_recorder.h"
#include "deliver/circuit_breaker.h"
#include "deliver/endpoint_cache.h"
#include "deliver/retry_policy.h"
#include "deliver/scheduler.h"
#include "deliver/wake_reason.h"

namespace hookd {

struct DeliveryEngineOptions {
  int per_endpoint_concurrency = 8;
  int max_inflight = 2048;  // attempts in flight in all (HOOKD_MAX_INFLIGHT)
  std::chrono::milliseconds attempt_timeout{15000};
  // An endpoint failing this long without a success is disabled.
  std::chrono::milliseconds disable_after{5LL * 24 * 3600 * 1000};
  // The longest the dispatcher sleeps when nothing wakes it: how soon work queued by another
  // process is seen. This process's own retries and cool-downs wake it when due.
  std::chrono::milliseconds idle_poll{200};
  // Results are written together: when this many are waiting, when the first of them has waited
  // record_window (real time, not the engine's clock), or when no attempt is in flight.
  size_t record_batch = 1024;
  std::chrono::milliseconds record_window{5};
  RetryPolicy policy = DefaultRetryPolicy();
  CircuitOptions circuit;
  // A delivery hookd could not attempt itself (out of descriptors) is due again after this.
  std::chrono::milliseconds local_failure_delay{1000};
  // Called after attempts were recorded (their status-log entries committed).
  std::function<void()> on_status_committed;
  // Where state changes (circuits, disabled endpoints, deliveries failed for good) and errors
  // are logged; nothing is logged when null.
  const Logger* logger = nullptr;
  // The process's shared writing connection (common/shared_writer.h, not owned); null: the
  // engine opens one of its own.
  SharedWriter* writer = nullptr;
};

class DeliveryEngine {
 public:
  DeliveryEngine(DbPool& pool, EndpointCache& endpoints, AsyncSender& sender, Metrics& metrics,
                 const Clock& clock, Random& random, DeliveryEngineOptions options);
  ~DeliveryEngine();

  // Opens the engine's own connection, takes up the persisted circuit states and starts the
  // dispatcher.
  Status Start();
  // Work may be due: look now instead of at the next poll. kNewDeliveries looks only at the
  // deliveries inserted since the last look; kAnything at every endpoint.
  void Wake(WakeReason reason = WakeReason::kAnything);
  // Stops claiming, hands unstarted claims back, waits for the attempts in flight (each is
  // bounded by the attempt timeout) and records them. Idempotent.
  void Stop();

 private:
  static AttemptRecord RecordFor(const DeliveryJob& job, int64_t started_at);
  void DispatchLoop();
  // Lets the scheduler and the breaker know of finished attempts; moves them to unrecorded_.
  void TakeResults(std::vector<AttemptRecord>& results, int64_t now);
  // Takes the results finished so far (without waiting) and starts into the slots they freed:
  // between the dispatcher's transactions, so a slot does not wait for the next one.
  void Harvest(int64_t now);
  // Starts every job the scheduler lets start.
  void StartReady(int64_t now);
  // Writes unrecorded_, circuit changes and released deliveries in one transaction.
  void RecordPending();
  // RecordPending when a batch is due (see record_batch and record_window).
  void RecordIfDue();
  // Milliseconds until the waiting results must be written (0: now); idle_poll when none wait.
  int64_t RecordWaitMs() const;
  // Claims due deliveries of the endpoints in due_endpoints_ within the scheduler's budgets and
  // queues them.
  void ClaimAndQueue(int64_t now);
  // Adds every endpoint with a delivery due at `now` to due_endpoints_, and sets next_due_ms_ to
  // the earliest later next_attempt_at.
  void DiscoverDueEndpoints(int64_t now);
  // The same for the deliveries inserted since the last look (seq above discovered_seq_).
  void DiscoverNewDeliveries(int64_t now);
  // The highest seq in deliveries (0 when empty), -1 when it cannot be read.
  int64_t LastDeliverySeq();
  // An endpoint whose earliest waiting delivery is due at `due`: it has a backlog now, or `due`
  // may be the next wake-up.
  void NoteDue(std::string endpoint_id, int64_t due, int64_t now);
  // Whether the idle poll's look at every endpoint is due. With a backlog already known, looks
  // are spaced so that they take at most a twentieth of the dispatcher's time.
  bool FullScanDue(int64_t now) const;
  // When the dispatcher must look again at the latest (unix ms).
  int64_t NextWakeAt(int64_t now) const;
  void NoteCircuitChange(const CircuitChange& change);
  void UpdatePendingGauge(int64_t now);
  const Logger& logger() const { return options_.logger ? *options_.logger : Logger::Discard(); }

  DbPool& pool_;
  EndpointCache& endpoints_;
  AsyncSender& sender_;
  Metrics& metrics_;
  const Clock& clock_;
  ErrorLog record_errors_{Logger::Discard(), clock_,
                          "recording delivery attempts failed (they will be retried)"};
  ErrorLog local_errors_{Logger::Discard(), clock_,
                         "a delivery attempt could not be made (retried shortly)"};
  Random& random_;
  const DeliveryEngineOptions options_;
  prometheus::Counter& local_failures_;
  std::unique_ptr<SharedWriter> own_writer_;  // when options_.writer is null
  SharedWriter* writer_ = nullptr;            // the dispatcher's connection, held to use it
  std::unique_ptr<AttemptRecorder> recorder_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;            // guarded by mu_
  bool woken_ = false;               // guarded by mu_: anything may be due
  bool woken_new_ = false;           // guarded by mu_: new deliveries were inserted
  std::vector<AttemptRecord> done_;  // finished attempts not yet taken; guarded by mu_

  // Dispatcher thread only.
  CircuitBreaker breaker_;
  Scheduler scheduler_;
  std::vector<AttemptRecord> unrecorded_;
  // When the dispatcher first saw unrecorded_ non-empty; reset when written.
  std::optional<std::chrono::steady_clock::time_point> unrecorded_since_;
  std::vector<CircuitChange> circuit_changes_;  // not yet written
  std::vector<ReleasedDelivery> released_;      // not yet written
  // Endpoints that had due deliveries when last looked at.
  std::set<std::string> due_endpoints_;
  std::string last_claimed_endpoint_;  // where the next round-robin claim starts
  int64_t discovered_at_ms_ = 0;       // the last look at every endpoint
  int64_t new_discovered_at_ms_ = 0;   // the last look at new deliveries (or at every endpoint)
  int64_t discovered_seq_ = -1;        // deliveries up to this seq were looked at; -1: none yet
  std::chrono::steady_clock::time_point full_scan_end_;
  std::chrono::steady_clock::duration full_scan_cost_{};
  int64_t next_due_ms_ = 0;    // the earliest known future next_attempt_at; 0 if none
  int64_t next_token_ms_ = 0;  // the earliest rate-limit token a due endpoint waits for; 0 if none
  int64_t gauge_updated_at_ms_ = 0;

  std::thread dispatcher_;
};

}  // namespace hookd
