// The retry policy (API.md, "Messages and deliveries") as a pure function of the attempt, its
// outcome, the time and a random number, so tests need no clock and no sleep. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hookd {

struct RetryPolicy {
  // Delays between attempts: after attempt n fails, wait schedule[n-1]; after attempt
  // schedule.size() + 1 fails, the delivery is failed. Default 5s,5m,30m,2h,5h,10h,10h.
  std::vector<std::chrono::milliseconds> schedule;
  double jitter = 0.2;  // each delay is multiplied by a factor in [1 - jitter, 1 + jitter]
};

RetryPolicy DefaultRetryPolicy();

struct AttemptOutcome {
  int status = 0;                          // HTTP status; 0 when no response (timeout, refused)
  std::optional<std::string> retry_after;  // the Retry-After header, if any
};

struct RetryDecision {
  enum class Kind {
    kSucceeded,        // 2xx
    kRetry,            // try again at next_attempt_at_ms
    kFailed,           // the last scheduled attempt failed; keep for a manual retry
    kDisableEndpoint,  // 410 Gone: the delivery fails and the endpoint is disabled
  };
  Kind kind = Kind::kFailed;
  int64_t next_attempt_at_ms = 0;  // for kRetry
};

// `attempt` is 1-based (the attempt that just ended); `random01` is uniform in [0, 1).
// A 429 or 503 with Retry-After (delta-seconds or an HTTP-date) waits that long, clamped to
// [delay, 2 x delay] where delay is the jittered scheduled delay.
RetryDecision DecideRetry(const RetryPolicy& policy, int attempt, const AttemptOutcome& outcome,
                          int64_t now_ms, double random01);

}  // namespace hookd
