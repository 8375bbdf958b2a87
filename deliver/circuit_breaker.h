// CircuitBreaker: the health of each endpoint as the delivery engine sees it (API.md,
// "Endpoints"). An endpoint is `closed` (normal) until its attempts keep failing: 5 failures in a
// row, or at least half of the last 20 with at least 10 of them made, in either case with the
// failing going on for at least 5 s (so one stall seen by many concurrent attempts at once is
// not enough). It is then `open` (paused)
// for a cool-down of 30 s that doubles with every opening in a row, up to 10 min. When the
// cool-down ends, one probe attempt may start (`half_open`); its success closes the circuit, its
// failure opens it again. A failure is any attempt that did not answer 2xx (a timeout, a refused
// connection, a 5xx, ...). Results that arrive while open (attempts started before the opening)
// change nothing. Times are unix milliseconds passed in, so tests need no clock.
//
// Thread-safety: none; the delivery engine's dispatcher thread owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace hookd {

enum class CircuitState { kClosed, kOpen, kHalfOpen };

// "closed", "open", "half_open" (the API's and the database's spelling).
const char* CircuitStateName(CircuitState s);
// The state named `name`; closed for anything else.
CircuitState ParseCircuitState(const std::string& name);

struct CircuitOptions {
  int consecutive_failures = 5;  // this many failures in a row open the circuit
  int window = 20;               // or this share of the last `window` attempts ...
  double failure_ratio = 0.5;
  int window_min = 10;  // ... once at least this many are in the window
  // ... and the first failure of the run (or of the window) is at least this old.
  std::chrono::milliseconds min_failing_span{5'000};
  std::chrono::milliseconds cooldown{30'000};
  std::chrono::milliseconds max_cooldown{600'000};
};

// A change of an endpoint's state, to persist and to announce.
struct CircuitChange {
  std::string endpoint_id;
  CircuitState from = CircuitState::kClosed;
  CircuitState to = CircuitState::kClosed;
  int64_t retry_at_ms = 0;  // when open: the end of the cool-down
  std::string reason;       // when opened: why
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(CircuitOptions options = {}) : options_(options) {}

  // Takes up a state persisted earlier (at start-up). A half-open endpoint's probe was lost with
  // the process, so it is taken up as open until `retry_at_ms`.
  void Restore(const std::string& endpoint_id, CircuitState state, int64_t retry_at_ms);

  // How many attempts of the endpoint may start or be queued at `now_ms`: unlimited (INT_MAX)
  // when closed; 1 when open and the cool-down is over, or half-open with no probe started; 0
  // otherwise.
  int Allowance(const std::string& endpoint_id, int64_t now_ms) const;
  // An attempt of the endpoint starts. When the cool-down is over this is the probe, and the
  // endpoint becomes half-open.
  std::optional<CircuitChange> OnStart(const std::string& endpoint_id, int64_t now_ms);
  // An attempt that started could not be made by hookd itself (no descriptor): it says nothing
  // of the endpoint, so a probe it was may start again.
  void OnAbandoned(const std::string& endpoint_id);
  // An attempt of the endpoint ended; `success` means a 2xx answer.
  std::optional<CircuitChange> OnResult(const std::string& endpoint_id, bool success,
                                        int64_t now_ms);

  CircuitState State(const std::string& endpoint_id) const;
  // The end of the cool-down when open, else 0.
  int64_t RetryAt(const std::string& endpoint_id) const;
  // The earliest end of a cool-down still to come after `now_ms`, if any endpoint is open.
  std::optional<int64_t> NextRetryAt(int64_t now_ms) const;
  // How many endpoints are open and half-open (every other endpoint is closed).
  int Count(CircuitState state) const;

 private:
  struct Health {
    CircuitState state = CircuitState::kClosed;
    int consecutive_failures = 0;
    int64_t run_started_ms = 0;                   // the first failure of the current run
    std::deque<std::pair<bool, int64_t>> window;  // the last outcomes (failure?, when)
    int window_failures = 0;
    int openings_in_a_row = 0;
    int64_t retry_at_ms = 0;
    bool probe_started = false;
  };
  CircuitChange Open(const std::string& endpoint_id, Health& h, int64_t now_ms, std::string reason);
  // Records that `h` (of `endpoint_id`) is open until `retry_at_ms`, or no longer open.
  void MarkOpen(const std::string& endpoint_id, Health& h, int64_t retry_at_ms);
  void UnmarkOpen(const std::string& endpoint_id, const Health& h);

  const CircuitOptions options_;
  std::map<std::string, Health> health_;  // endpoints seen; missing ones are closed
  // (retry_at_ms, endpoint) of every open circuit: NextRetryAt, asked at every turn of the
  // dispatcher, costs a lookup rather than a walk of every endpoint that ever failed.
  std::set<std::pair<int64_t, std::string>> open_;
};

}  // namespace hookd
