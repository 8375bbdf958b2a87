// Scheduler: which claimed delivery attempt starts next (docs/DECISIONS.md, "Fair scheduling").
// Claimed jobs wait in one queue per endpoint; attempts start round-robin across the endpoints
// that have a free slot, so one endpoint's backlog never sits in front of another's job. It
// holds the limits: per-endpoint concurrency, the global in-flight cap, how far claims may run
// ahead of the attempts, each endpoint's rate limit (no more than N attempts start in any
// one-second window) and the circuit breaker's verdict. Times are unix milliseconds passed in, so
// tests need no clock.
//
// Thread-safety: none; the delivery engine's dispatcher thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "deliver/circuit_breaker.h"
#include "deliver/sender.h"

namespace hookd {

// One claimed delivery attempt.
struct DeliveryJob {
  std::string delivery_id, message_id, endpoint_id;
  std::string app_id;  // the delivery's application (its status entries carry it)
  int64_t attempts = 0;
  int retry_index = 0;
  bool manual = false;  // queued by a manual retry or recover (manual_return_status is set)
  std::vector<std::string> secrets;  // live at claim time; signed when the attempt starts
  OutboundRequest request;
};

struct SchedulerOptions {
  int per_endpoint_concurrency = 8;
  int max_inflight = 2048;  // attempts in flight in all; also the bound on claimed jobs
  // An endpoint may have this many rounds of its concurrency claimed (in flight or queued). It
  // is topped up once no more than half of that is claimed.
  int rounds_ahead = 4;
  // Of max_inflight, this many slots are kept for endpoints with nothing claimed: one each. So
  // endpoints holding slots with backlogs (or with attempts that hang until their deadline)
  // can never take the slot another endpoint's next job needs. Negative: half of max_inflight.
  int first_job_reserve = -1;
};

class Scheduler {
 public:
  Scheduler(SchedulerOptions options, CircuitBreaker& breaker);

  // How many due deliveries of the endpoint may be claimed at `now_ms`, out of `room` free
  // slots of the global bound not yet promised to other endpoints: within its claim-ahead bound,
  // its share of the room (RoomShare), its rate limit (`rate_per_second`, unlimited when
  // absent: the starts of the last second and the jobs claimed but not started stay within it,
  // so however the claimed jobs start, no one-second window holds more than the limit's starts)
  // and the circuit breaker's allowance. Never negative; 0 while more than half of the
  // claim-ahead bound is claimed, so claims come in batches.
  int ClaimBudget(const std::string& endpoint_id, std::optional<int64_t> rate_per_second,
                  int64_t now_ms, int room);
  // How many of `room` free slots an endpoint with `claimed` jobs may take: an endpoint with
  // nothing claimed may take one slot of the reserve; any endpoint may take the slots above it.
  int RoomShare(int claimed, int room) const;
  // Free slots of the global bound: max_inflight less the jobs in flight and queued.
  int room() const { return options_.max_inflight - inflight_ - queued_; }
  // Queues a claimed job.
  void Enqueue(DeliveryJob job);
  // The next job to start, taken round-robin from the endpoints below their concurrency cap that
  // the breaker lets through, under the global in-flight cap; it counts as in flight until
  // Finished (and as a start of its rate-limit window). nullopt when none can start.
  std::optional<DeliveryJob> NextToStart(int64_t now_ms);
  // An attempt of the endpoint ended.
  void Finished(const std::string& endpoint_id);
  // Removes and returns the endpoint's queued (unstarted) jobs.
  std::vector<DeliveryJob> TakeQueued(const std::string& endpoint_id);
  // Removes and returns every queued job.
  std::vector<DeliveryJob> TakeAllQueued();
  // When the endpoint's rate limit next lets one more job be claimed (`now_ms` when it does now,
  // or when only the jobs already claimed stand in the way).
  int64_t NextTokenAt(const std::string& endpoint_id, std::optional<int64_t> rate_per_second,
                      int64_t now_ms);

  // The endpoint's jobs queued or in flight.
  int Claimed(const std::string& endpoint_id) const;
  int inflight() const { return inflight_; }
  int queued() const { return queued_; }
  const SchedulerOptions& options() const { return options_; }

 private:
  struct Lane {
    std::deque<DeliveryJob> queue;
    int inflight = 0;
    bool in_ring = false;
    // With a rate limit: when its attempts of the last second started, oldest first.
    std::deque<int64_t> starts;
    std::optional<int64_t> rate;
  };
  // Sets the lane's limit and drops the starts a second old or older.
  void ExpireStarts(Lane& lane, std::optional<int64_t> rate, int64_t now_ms);
  void Forget(const std::string& endpoint_id);

  const SchedulerOptions options_;
  const int reserve_;  // first_job_reserve, resolved
  CircuitBreaker& breaker_;
  std::map<std::string, Lane> lanes_;  // endpoints with claimed jobs or starts in the window
  std::deque<std::string> ring_;       // endpoints with queued jobs, in round-robin order
  int inflight_ = 0;
  int queued_ = 0;
};

}  // namespace hookd
