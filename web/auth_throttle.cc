#include "web/auth_throttle.h"

#include <algorithm>
#include <cmath>

namespace hookd {
namespace {

constexpr size_t kMaxAddressLength = 45;

bool IsLoopback(std::string_view address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ClientAddress(const HttpRequest& req) {
  if (!IsLoopback(req.remote_address)) return req.remote_address;
  // The proxy appends the address it saw to the last X-Forwarded-For header; what comes before
  // it is the client's own say and is not trusted.
  auto all = req.headers.GetAll("x-forwarded-for");
  if (all.empty()) return req.remote_address;
  std::string_view last = all.back();
  if (size_t comma = last.rfind(','); comma != std::string_view::npos)
    last.remove_prefix(comma + 1);
  last = Trim(last);
  // An address is at most 45 characters (IPv6 with an IPv4 tail); anything longer is not one,
  // and must not become a key the throttle keeps (100,000 of them).
  if (last.empty() || last.size() > kMaxAddressLength) return req.remote_address;
  return std::string(last);
}

AuthThrottle::AuthThrottle(const Clock& clock, AuthThrottleOptions options)
    : clock_(clock), options_(options) {}

double AuthThrottle::TokensNow(const Bucket& b, int64_t now) const {
  const double refilled =
      static_cast<double>(std::max<int64_t>(now - b.at_ms, 0)) / options_.refill.count();
  return std::min<double>(options_.burst, b.tokens + refilled);
}

Status AuthThrottle::Admit(const std::string& address) {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return Status::Ok();
  const double tokens = TokensNow(it->second, now);
  if (tokens >= 1.0) return Status::Ok();
  const double wait_ms = (1.0 - tokens) * options_.refill.count();
  const auto seconds = static_cast<int64_t>(std::ceil(wait_ms / 1000.0));
  return Status(ErrorKind::kRateLimited, "too_many_attempts",
                "too many wrong credentials from this address; retry after " +
                    std::to_string(seconds) + " s")
      .WithRetryAfter(std::max<int64_t>(seconds, 1));
}

void AuthThrottle::Failed(const std::string& address) {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_addresses && !order_.empty()) {
      buckets_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(address);
    it = buckets_
             .emplace(address,
                      Bucket{static_cast<double>(options_.burst), now, std::prev(order_.end())})
             .first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  Bucket& b = it->second;
  b.tokens = std::max(TokensNow(b, now) - 1.0, 0.0);
  b.at_ms = now;
}

}  // namespace hookd
