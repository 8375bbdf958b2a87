#include "deliver/scheduler.h"

#include <algorithm>
#include <limits>

namespace hookd {

Scheduler::Scheduler(SchedulerOptions options, CircuitBreaker& breaker)
    : options_(options),
      reserve_(std::clamp(
          options.first_job_reserve < 0 ? options.max_inflight / 2 : options.first_job_reserve, 0,
          options.max_inflight)),
      breaker_(breaker) {}

namespace {

constexpr int64_t kRateWindowMs = 1000;

}  // namespace

void Scheduler::ExpireStarts(Lane& lane, std::optional<int64_t> rate, int64_t now_ms) {
  lane.rate = rate;
  if (!rate) {
    lane.starts.clear();
    return;
  }
  while (!lane.starts.empty() && lane.starts.front() + kRateWindowMs <= now_ms)
    lane.starts.pop_front();
}

int Scheduler::RoomShare(int claimed, int room) const {
  const int above_reserve = std::max(room - reserve_, 0);
  if (claimed == 0) return std::max(std::min(room, 1), above_reserve);
  return above_reserve;
}

int Scheduler::ClaimBudget(const std::string& endpoint_id, std::optional<int64_t> rate_per_second,
                           int64_t now_ms, int room) {
  const int claimed = Claimed(endpoint_id);
  const int ahead = options_.per_endpoint_concurrency * options_.rounds_ahead;
  // Topped up in batches: a claim is a transaction, and one per finished attempt of a busy
  // endpoint cost more than the attempts.
  if (claimed > ahead / 2) return 0;
  int budget = std::min(RoomShare(claimed, room), ahead - claimed);
  const int allowance = breaker_.Allowance(endpoint_id, now_ms);
  if (allowance != std::numeric_limits<int>::max()) budget = std::min(budget, allowance - claimed);
  if (rate_per_second && budget > 0) {
    // Every claimed job may start at once: the window's starts and the jobs waiting to start
    // stay within the limit. Later starts only move jobs from the queue into the window, so no
    // window can hold more (docs/DECISIONS.md, "A rate limit of N is N in any second").
    Lane& lane = lanes_[endpoint_id];
    ExpireStarts(lane, rate_per_second, now_ms);
    const int64_t used = static_cast<int64_t>(lane.starts.size() + lane.queue.size());
    budget = static_cast<int>(std::min<int64_t>(budget, *rate_per_second - used));
  }
  return std::max(budget, 0);
}

void Scheduler::Enqueue(DeliveryJob job) {
  Lane& lane = lanes_[job.endpoint_id];
  if (!lane.in_ring) {
    lane.in_ring = true;
    ring_.push_back(job.endpoint_id);
  }
  lane.queue.push_back(std::move(job));
  ++queued_;
}

std::optional<DeliveryJob> Scheduler::NextToStart(int64_t now_ms) {
  if (inflight_ >= options_.max_inflight) return std::nullopt;
  // Each endpoint in the ring is looked at once: one that cannot start goes to the back.
  for (size_t n = ring_.size(); n > 0; --n) {
    std::string id = std::move(ring_.front());
    ring_.pop_front();
    Lane& lane = lanes_[id];
    const bool startable =
        lane.inflight < options_.per_endpoint_concurrency && breaker_.Allowance(id, now_ms) > 0;
    if (!startable) {
      ring_.push_back(std::move(id));
      continue;
    }
    DeliveryJob job = std::move(lane.queue.front());
    lane.queue.pop_front();
    --queued_;
    ++lane.inflight;
    ++inflight_;
    if (lane.rate) lane.starts.push_back(now_ms);
    if (lane.queue.empty())
      lane.in_ring = false;
    else
      ring_.push_back(std::move(id));
    return job;
  }
  return std::nullopt;
}

void Scheduler::Finished(const std::string& endpoint_id) {
  auto it = lanes_.find(endpoint_id);
  if (it == lanes_.end() || it->second.inflight == 0) return;
  --it->second.inflight;
  --inflight_;
  Forget(endpoint_id);
}

void Scheduler::Forget(const std::string& endpoint_id) {
  auto it = lanes_.find(endpoint_id);
  if (it == lanes_.end()) return;
  const Lane& lane = it->second;
  // Starts still in the window must be kept (they are dropped as they expire, at the next claim).
  if (lane.inflight == 0 && lane.queue.empty() && lane.starts.empty()) lanes_.erase(it);
}

std::vector<DeliveryJob> Scheduler::TakeQueued(const std::string& endpoint_id) {
  std::vector<DeliveryJob> out;
  auto it = lanes_.find(endpoint_id);
  if (it == lanes_.end()) return out;
  Lane& lane = it->second;
  for (auto& job : lane.queue) out.push_back(std::move(job));
  queued_ -= static_cast<int>(lane.queue.size());
  lane.queue.clear();
  if (lane.in_ring) {
    lane.in_ring = false;
    ring_.erase(std::find(ring_.begin(), ring_.end(), endpoint_id));
  }
  Forget(endpoint_id);
  return out;
}

std::vector<DeliveryJob> Scheduler::TakeAllQueued() {
  std::vector<DeliveryJob> out;
  std::vector<std::string> ids(ring_.begin(), ring_.end());
  for (const std::string& id : ids) {
    auto jobs = TakeQueued(id);
    for (auto& j : jobs) out.push_back(std::move(j));
  }
  return out;
}

int64_t Scheduler::NextTokenAt(const std::string& endpoint_id,
                               std::optional<int64_t> rate_per_second, int64_t now_ms) {
  if (!rate_per_second || *rate_per_second <= 0) return now_ms;
  Lane& lane = lanes_[endpoint_id];
  ExpireStarts(lane, rate_per_second, now_ms);
  const int64_t used = static_cast<int64_t>(lane.starts.size() + lane.queue.size());
  if (used < *rate_per_second) return now_ms;
  // This many starts must leave the window; the queued jobs leave it only by starting.
  const int64_t leaving = used - *rate_per_second + 1;
  if (leaving > static_cast<int64_t>(lane.starts.size())) return now_ms;
  return lane.starts[static_cast<size_t>(leaving - 1)] + kRateWindowMs;
}

int Scheduler::Claimed(const std::string& endpoint_id) const {
  auto it = lanes_.find(endpoint_id);
  if (it == lanes_.end()) return 0;
  return it->second.inflight + static_cast<int>(it->second.queue.size());
}

}  // namespace hookd
