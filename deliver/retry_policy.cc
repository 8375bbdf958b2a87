#include "deliver/retry_policy.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hookd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Past this many seconds any Retry-After is far above 2 x delay; capping avoids overflow.
constexpr int64_t kMaxRetryAfterSeconds = int64_t{1} << 40;

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only; nullopt if empty or any other character. Saturates at kMaxRetryAfterSeconds.
std::optional<int64_t> ParseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = std::min(kMaxRetryAfterSeconds, v * 10 + (c - '0'));
  }
  return v;
}

std::optional<int> ParseFixedDigits(std::string_view s) {
  auto v = ParseDigits(s);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

// IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), as unix milliseconds. The weekday name must
// be a valid one but is not checked against the date.
std::optional<int64_t> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(kDays.begin(), kDays.end(), s.substr(0, 3)) == kDays.end()) return std::nullopt;
  const auto month_it = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  if (month_it == kMonths.end()) return std::nullopt;
  const auto day = ParseFixedDigits(s.substr(5, 2));
  const auto year = ParseFixedDigits(s.substr(12, 4));
  const auto hour = ParseFixedDigits(s.substr(17, 2));
  const auto minute = ParseFixedDigits(s.substr(20, 2));
  const auto second = ParseFixedDigits(s.substr(23, 2));
  if (!day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 60) {  // 60: a leap second
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{
      std::chrono::year{*year},
      std::chrono::month{static_cast<unsigned>(month_it - kMonths.begin() + 1)},
      std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  return (days * 86400 + *hour * 3600 + *minute * 60 + *second) * 1000;
}

// The wait Retry-After asks for, in milliseconds (negative for a date in the past).
std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_ms) {
  value = TrimSpaces(value);
  if (auto secs = ParseDigits(value)) return *secs * 1000;
  if (auto at = ParseImfFixdate(value)) return *at - now_ms;
  return std::nullopt;
}

}  // namespace

RetryPolicy DefaultRetryPolicy() {
  RetryPolicy policy;
  policy.schedule = {seconds(5), minutes(5), minutes(30), hours(2), hours(5), hours(10), hours(10)};
  policy.jitter = 0.2;
  return policy;
}

RetryDecision DecideRetry(const RetryPolicy& policy, int attempt, const AttemptOutcome& outcome,
                          int64_t now_ms, double random01) {
  RetryDecision decision;
  if (outcome.status >= 200 && outcome.status <= 299) {
    decision.kind = RetryDecision::Kind::kSucceeded;
    return decision;
  }
  if (outcome.status == 410) {
    decision.kind = RetryDecision::Kind::kDisableEndpoint;
    return decision;
  }
  attempt = std::max(attempt, 1);  // a non-positive attempt is a caller bug; treat it as the first
  if (static_cast<size_t>(attempt) > policy.schedule.size()) {
    decision.kind = RetryDecision::Kind::kFailed;
    return decision;
  }
  const double base = static_cast<double>(policy.schedule[attempt - 1].count());
  const double factor = 1.0 - policy.jitter + 2.0 * policy.jitter * random01;
  const int64_t delay = std::llround(base * factor);
  int64_t wait = delay;
  if ((outcome.status == 429 || outcome.status == 503) && outcome.retry_after) {
    if (auto retry_after = ParseRetryAfterMs(*outcome.retry_after, now_ms)) {
      wait = std::clamp(*retry_after, delay, 2 * delay);
    }
  }
  decision.kind = RetryDecision::Kind::kRetry;
  decision.next_attempt_at_ms = now_ms + wait;
  return decision;
}

}  // namespace hookd
