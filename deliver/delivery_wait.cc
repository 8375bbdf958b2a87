#include "deliver/delivery_wait.h"

#include <algorithm>

namespace hookd {

DeliveryWait ShowWait(const DeliveryWaitInput& in, int64_t now_ms) {
  DeliveryWait out;
  const bool final_status = in.status == "succeeded" || in.status == "failed";
  if (final_status && !in.manual) return out;
  // A lease that ended without a result (the attempt was cut off by a crash) makes the delivery
  // due again at its end: it waits like any other.
  if (in.lease_until && *in.lease_until > now_ms) {
    out.in_flight = true;
    return out;
  }
  if (!in.next_attempt_at) return out;
  const int64_t own = *in.next_attempt_at;
  out.next_attempt_at = own;
  if (in.circuit == "open" && in.circuit_retry_at && *in.circuit_retry_at >= own) {
    out.next_attempt_at = *in.circuit_retry_at;
    out.waiting = kWaitingCircuitOpen;
  } else if (in.circuit == "half_open" && own <= now_ms) {
    out.next_attempt_at.reset();
    out.waiting = kWaitingCircuitHalfOpen;
  }
  return out;
}

}  // namespace hookd
