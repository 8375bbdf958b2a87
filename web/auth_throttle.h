// AuthThrottle: limits how fast one client address may guess credentials (API.md, "Auth and
// errors"). Every wrong admin token (bearer or sign-in) takes a token from the address's
// bucket: `burst` at once, then one every `refill`. While the bucket is empty, the address's
// credential checks are answered 429 with Retry-After without being made, so the right token is
// refused too until the wait is over. A session cookie is never throttled: it has 256 random
// bits and is not guessed. At most `max_addresses` buckets are kept; past that the one that
// failed least recently goes. Times come from the injected Clock.
//
// ClientAddress is whom a request counts against: the peer's address, or, when the peer is on
// loopback (the documented proxy in front of hookd), the last X-Forwarded-For hop it added.
// Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/http_types.h"
#include "common/status.h"

namespace hookd {

struct AuthThrottleOptions {
  int burst = 10;                          // failures allowed at once
  std::chrono::milliseconds refill{6000};  // then one more this often
  size_t max_addresses = 100000;           // buckets kept
};

class AuthThrottle {
 public:
  explicit AuthThrottle(const Clock& clock, AuthThrottleOptions options = {});

  // OK when `address` may present a credential now; else 429 too_many_attempts with
  // Retry-After.
  Status Admit(const std::string& address);
  // A wrong credential from `address`.
  void Failed(const std::string& address);

 private:
  struct Bucket {
    double tokens;
    int64_t at_ms;  // when `tokens` was computed
    std::list<std::string>::iterator order;
  };
  double TokensNow(const Bucket& b, int64_t now) const;

  const Clock& clock_;
  const AuthThrottleOptions options_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  std::list<std::string> order_;                     // guarded by mu_: least recent failure first
};

// The address a request's failed credentials count against.
std::string ClientAddress(const HttpRequest& req);

}  // namespace hookd
