// DeliveryWait: what a delivery is waiting for, as the API, the status stream and the dashboard
// show it (API.md, "Messages and deliveries"). Computed when read from the delivery's row and its
// endpoint's circuit (migrations 0002, 0006, 0011), so it is never stale:
// - a delivery the engine holds (its lease has not ended) is in flight: `in_flight`, and no
//   `next_attempt_at` (the lease's end is not an attempt time);
// - a waiting delivery whose endpoint's circuit is open waits for the circuit: `next_attempt_at`
//   is the end of the cool-down when that is later than its own time, and `waiting` says
//   "circuit_open"; while the circuit is half-open (its probe in flight) a delivery already due
//   waits for the probe's answer: no `next_attempt_at`, `waiting` "circuit_half_open";
// - otherwise its stored `next_attempt_at` (set while pending or retrying, and while a manual
//   retry of a failed or succeeded delivery waits for its attempt).
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hookd {

// The columns it is computed from.
struct DeliveryWaitInput {
  std::string status;                       // pending, retrying, succeeded, failed
  std::optional<int64_t> next_attempt_at;   // unix ms
  std::optional<int64_t> lease_until;       // unix ms, while the engine holds it
  bool manual = false;                      // a manual retry's attempt is waiting or in flight
  std::string circuit = "closed";           // its endpoint's: closed, open, half_open
  std::optional<int64_t> circuit_retry_at;  // unix ms, the end of an open circuit's cool-down
};

struct DeliveryWait {
  std::optional<int64_t> next_attempt_at;  // unix ms
  bool in_flight = false;
  const char* waiting = nullptr;  // "circuit_open", "circuit_half_open" or nullptr
};

inline constexpr char kWaitingCircuitOpen[] = "circuit_open";
inline constexpr char kWaitingCircuitHalfOpen[] = "circuit_half_open";

// What `in` shows at `now_ms`.
DeliveryWait ShowWait(const DeliveryWaitInput& in, int64_t now_ms);

}  // namespace hookd
