#include "deliver/circuit_breaker.h"

#include <algorithm>
#include <limits>

namespace hookd {

const char* CircuitStateName(CircuitState s) {
  switch (s) {
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
    default:
      return "closed";
  }
}

CircuitState ParseCircuitState(const std::string& name) {
  if (name == "open") return CircuitState::kOpen;
  if (name == "half_open") return CircuitState::kHalfOpen;
  return CircuitState::kClosed;
}

void CircuitBreaker::Restore(const std::string& endpoint_id, CircuitState state,
                             int64_t retry_at_ms) {
  if (state == CircuitState::kClosed) return;
  Health& h = health_[endpoint_id];
  MarkOpen(endpoint_id, h, retry_at_ms);
  h.openings_in_a_row = std::max(h.openings_in_a_row, 1);
  h.probe_started = false;
}

int CircuitBreaker::Allowance(const std::string& endpoint_id, int64_t now_ms) const {
  auto it = health_.find(endpoint_id);
  if (it == health_.end() || it->second.state == CircuitState::kClosed)
    return std::numeric_limits<int>::max();
  const Health& h = it->second;
  if (h.state == CircuitState::kOpen) return now_ms >= h.retry_at_ms ? 1 : 0;
  return h.probe_started ? 0 : 1;
}

std::optional<CircuitChange> CircuitBreaker::OnStart(const std::string& endpoint_id,
                                                     int64_t now_ms) {
  auto it = health_.find(endpoint_id);
  if (it == health_.end() || it->second.state == CircuitState::kClosed) return std::nullopt;
  Health& h = it->second;
  if (h.state == CircuitState::kOpen && now_ms >= h.retry_at_ms) {
    UnmarkOpen(endpoint_id, h);
    h.state = CircuitState::kHalfOpen;
    h.probe_started = true;
    return CircuitChange{endpoint_id, CircuitState::kOpen, CircuitState::kHalfOpen, 0, ""};
  }
  if (h.state == CircuitState::kHalfOpen) h.probe_started = true;
  return std::nullopt;
}

void CircuitBreaker::OnAbandoned(const std::string& endpoint_id) {
  auto it = health_.find(endpoint_id);
  if (it != health_.end() && it->second.state == CircuitState::kHalfOpen)
    it->second.probe_started = false;
}

CircuitChange CircuitBreaker::Open(const std::string& endpoint_id, Health& h, int64_t now_ms,
                                   std::string reason) {
  const CircuitState from = h.state;
  // 30 s, 60 s, 120 s, ... up to the maximum; the shift is bounded so it cannot overflow.
  const int doublings = std::min(h.openings_in_a_row, 20);
  const int64_t cooldown =
      std::min<int64_t>(options_.cooldown.count() << doublings, options_.max_cooldown.count());
  ++h.openings_in_a_row;
  MarkOpen(endpoint_id, h, now_ms + cooldown);
  h.probe_started = false;
  h.consecutive_failures = 0;
  h.window.clear();
  h.window_failures = 0;
  return CircuitChange{endpoint_id, from, CircuitState::kOpen, h.retry_at_ms, std::move(reason)};
}

std::optional<CircuitChange> CircuitBreaker::OnResult(const std::string& endpoint_id, bool success,
                                                      int64_t now_ms) {
  auto it = health_.find(endpoint_id);
  if (it == health_.end()) {
    if (success) return std::nullopt;  // the common case costs no map entry
    it = health_.emplace(endpoint_id, Health{}).first;
  }
  Health& h = it->second;
  switch (h.state) {
    case CircuitState::kOpen:
      return std::nullopt;
    case CircuitState::kHalfOpen:
      if (!success) return Open(endpoint_id, h, now_ms, "the probe attempt failed");
      health_.erase(it);
      return CircuitChange{endpoint_id, CircuitState::kHalfOpen, CircuitState::kClosed, 0, ""};
    case CircuitState::kClosed:
      break;
  }
  h.window.emplace_back(!success, now_ms);
  if (!success) ++h.window_failures;
  if (static_cast<int>(h.window.size()) > options_.window) {
    if (h.window.front().first) --h.window_failures;
    h.window.pop_front();
  }
  if (success) {
    h.consecutive_failures = 0;
  } else if (h.consecutive_failures++ == 0) {
    h.run_started_ms = now_ms;
  }
  const int64_t span = options_.min_failing_span.count();
  if (h.consecutive_failures >= options_.consecutive_failures && now_ms - h.run_started_ms >= span)
    return Open(endpoint_id, h, now_ms,
                std::to_string(h.consecutive_failures) + " failed attempts in a row");
  const int n = static_cast<int>(h.window.size());
  if (n >= options_.window_min && h.window_failures >= options_.failure_ratio * n) {
    auto first =
        std::find_if(h.window.begin(), h.window.end(), [](const auto& o) { return o.first; });
    if (now_ms - first->second >= span)
      return Open(endpoint_id, h, now_ms,
                  std::to_string(h.window_failures) + " of the last " + std::to_string(n) +
                      " attempts failed");
  }
  if (success && h.window_failures == 0) health_.erase(it);
  return std::nullopt;
}

CircuitState CircuitBreaker::State(const std::string& endpoint_id) const {
  auto it = health_.find(endpoint_id);
  return it == health_.end() ? CircuitState::kClosed : it->second.state;
}

int64_t CircuitBreaker::RetryAt(const std::string& endpoint_id) const {
  auto it = health_.find(endpoint_id);
  return it == health_.end() || it->second.state != CircuitState::kOpen ? 0
                                                                        : it->second.retry_at_ms;
}

void CircuitBreaker::MarkOpen(const std::string& endpoint_id, Health& h, int64_t retry_at_ms) {
  UnmarkOpen(endpoint_id, h);
  h.state = CircuitState::kOpen;
  h.retry_at_ms = retry_at_ms;
  open_.emplace(retry_at_ms, endpoint_id);
}

void CircuitBreaker::UnmarkOpen(const std::string& endpoint_id, const Health& h) {
  if (h.state == CircuitState::kOpen) open_.erase({h.retry_at_ms, endpoint_id});
}

std::optional<int64_t> CircuitBreaker::NextRetryAt(int64_t now_ms) const {
  // The first cool-down ending after now_ms; an endpoint's id sorts after "".
  auto it = open_.lower_bound({now_ms + 1, std::string()});
  if (it == open_.end()) return std::nullopt;
  return it->first;
}

int CircuitBreaker::Count(CircuitState state) const {
  return static_cast<int>(std::count_if(
      health_.begin(), health_.end(), [state](const auto& e) { return e.second.state == state; }));
}

}  // namespace hookd
