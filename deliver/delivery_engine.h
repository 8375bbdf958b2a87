// DeliveryEngine: works the delivery queue. A dispatcher thread claims due deliveries in batches
// as leases (a crash mid-attempt makes them due again after restart, with the same webhook-id),
// hands them to a pool of worker threads that sign and send them, and writes the results back in
// batches through the AttemptRecorder. Per-endpoint concurrency and rate limits are enforced at
// claim time; claims go endpoint by endpoint (index seeks on (endpoint_id, next_attempt_at)), so
// one endpoint's backlog costs nothing to the others' claims.
//
// Thread-safety: Wake may be called from any thread; Start/Stop from one owner thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/metrics.h"
#include "common/random.h"
#include "deliver/attempt_recorder.h"
#include "deliver/endpoint_cache.h"
#include "deliver/retry_policy.h"
#include "deliver/sender.h"

namespace hookd {

struct DeliveryEngineOptions {
  int workers = 16;
  int per_endpoint_concurrency = 8;
  std::chrono::milliseconds attempt_timeout{15000};
  // An endpoint failing this long without a success is disabled.
  std::chrono::milliseconds disable_after{5LL * 24 * 3600 * 1000};
  // The longest the dispatcher sleeps when nothing wakes it.
  std::chrono::milliseconds idle_poll{200};
  RetryPolicy policy = DefaultRetryPolicy();
  // Called after attempts were recorded (their status-log entries committed).
  std::function<void()> on_status_committed;
};

class DeliveryEngine {
 public:
  DeliveryEngine(DbPool& pool, EndpointCache& endpoints, Sender& sender, Metrics& metrics,
                 const Clock& clock, Random& random, DeliveryEngineOptions options);
  ~DeliveryEngine();

  // Opens the engine's own connection and starts the threads.
  Status Start();
  // New deliveries may be due: look now instead of at the next poll.
  void Wake();
  // Stops claiming, lets the attempts in progress finish (each is bounded by the attempt
  // timeout), records them, and hands unstarted claims back. Idempotent.
  void Stop();

 private:
  struct Job {
    std::string delivery_id, message_id, endpoint_id;
    int64_t attempts = 0;
    int retry_index = 0;
    std::vector<std::string> secrets;  // live at claim time; the worker signs at send time
    OutboundRequest request;
  };
  struct RateBucket {
    double tokens = 0;
    int64_t refilled_at_ms = 0;
  };

  static AttemptRecord RecordFor(const Job& job, int64_t started_at);
  void DispatchLoop();
  void WorkerLoop();
  // Attempts the endpoint may still start under its concurrency cap; the caller holds mu_.
  int FreeSlots(const std::string& endpoint_id) const;
  // The first queued job whose endpoint is below its concurrency cap; the caller holds mu_.
  std::deque<Job>::iterator NextStartable();
  // Wakes up to `jobs` sleeping workers; the caller holds mu_.
  void WakeIdleWorkers(int jobs);
  // Claims up to `room` due deliveries of the endpoints in due_endpoints_ (first looking for
  // such endpoints in the database when `discover`) and queues them; returns how many.
  int ClaimAndQueue(int room, int64_t now, bool discover);
  // Adds every endpoint with a delivery due at `now` to due_endpoints_.
  void DiscoverDueEndpoints(int64_t now);
  // Whole tokens in the endpoint's rate-limit bucket after refilling it (a token bucket per
  // endpoint; int max when unlimited); the caller holds mu_.
  int Tokens(const Endpoint& e, int64_t now);
  void UpdatePendingGauge(int64_t now);
  void ReleaseUnstarted();

  DbPool& pool_;
  EndpointCache& endpoints_;
  Sender& sender_;
  Metrics& metrics_;
  const Clock& clock_;
  Random& random_;
  const DeliveryEngineOptions options_;
  std::unique_ptr<Db> db_;  // the dispatcher thread's connection
  std::unique_ptr<AttemptRecorder> recorder_;

  std::mutex mu_;
  std::condition_variable dispatcher_cv_;
  std::condition_variable worker_cv_;
  bool stopping_ = false;               // guarded by mu_
  bool woken_ = false;                  // guarded by mu_
  std::deque<Job> jobs_;                // guarded by mu_
  std::vector<AttemptRecord> results_;  // guarded by mu_
  // Claims run ahead of the workers by this factor (per endpoint and in all), so a dispatcher
  // cycle moves more than one round of attempts; workers still respect the concurrency cap.
  static constexpr int kQueueDepthFactor = 16;
  // Results are recorded when this many are waiting or the queue runs low, else after the delay.
  static constexpr size_t kResultBatch = 64;
  static constexpr std::chrono::milliseconds kResultDelay{5};
  bool dispatch_requested_ = false;     // guarded by mu_
  int idle_workers_ = 0;                // workers waiting for a startable job; guarded by mu_
  int busy_ = 0;                        // jobs queued or being sent; guarded by mu_
  std::map<std::string, int> claimed_;  // per endpoint, queued or being sent; guarded by mu_
  std::map<std::string, int> sending_;  // per endpoint, being sent; guarded by mu_
  std::map<std::string, RateBucket> buckets_;  // per endpoint; guarded by mu_
  int64_t gauge_updated_at_ms_ = 0;            // dispatcher thread only
  // Endpoints that had due deliveries when last looked at; dispatcher thread only.
  std::set<std::string> due_endpoints_;
  std::string last_claimed_endpoint_;  // where the next round-robin claim starts
  int64_t discovered_at_ms_ = 0;

  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace hookd
