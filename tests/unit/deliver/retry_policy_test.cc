#include "deliver/retry_policy.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace hookd {
namespace {

using Kind = RetryDecision::Kind;

constexpr int64_t kNow = 1'700'000'000'000;
// "Sun, 06 Nov 1994 08:49:37 GMT" in unix milliseconds.
constexpr int64_t kImfExampleMs = 784'111'777'000;

AttemptOutcome Outcome(int status, std::optional<std::string> retry_after = std::nullopt) {
  return AttemptOutcome{status, std::move(retry_after)};
}

TEST(RetryPolicyTest, DefaultSchedule) {
  const RetryPolicy policy = DefaultRetryPolicy();
  using namespace std::chrono_literals;
  const std::vector<std::chrono::milliseconds> expected = {5s, 5min, 30min, 2h, 5h, 10h, 10h};
  EXPECT_EQ(policy.schedule, expected);
  EXPECT_DOUBLE_EQ(policy.jitter, 0.2);
}

TEST(RetryPolicyTest, EachStepWithJitterBounds) {
  const RetryPolicy policy = DefaultRetryPolicy();
  const int64_t base[] = {5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000, 36'000'000};
  // random01 = 0 → 0.8x, 0.5 → 1.0x, 0.999 → 1.1996x.
  const int64_t low[] = {4'000, 240'000, 1'440'000, 5'760'000, 14'400'000, 28'800'000, 28'800'000};
  const int64_t high[] = {5'998, 359'880, 2'159'280, 8'637'120, 21'592'800, 43'185'600, 43'185'600};
  for (int attempt = 1; attempt <= 7; ++attempt) {
    SCOPED_TRACE(attempt);
    const int i = attempt - 1;
    RetryDecision d = DecideRetry(policy, attempt, Outcome(500), kNow, 0.0);
    EXPECT_EQ(d.kind, Kind::kRetry);
    EXPECT_EQ(d.next_attempt_at_ms, kNow + low[i]);
    d = DecideRetry(policy, attempt, Outcome(500), kNow, 0.5);
    EXPECT_EQ(d.kind, Kind::kRetry);
    EXPECT_EQ(d.next_attempt_at_ms, kNow + base[i]);
    d = DecideRetry(policy, attempt, Outcome(500), kNow, 0.999);
    EXPECT_EQ(d.kind, Kind::kRetry);
    EXPECT_EQ(d.next_attempt_at_ms, kNow + high[i]);
  }
}

TEST(RetryPolicyTest, JitteredDelayStaysInsideTheBoundsAndGrowsWithTheRandomNumber) {
  const RetryPolicy policy = DefaultRetryPolicy();
  for (int attempt = 1; attempt <= static_cast<int>(policy.schedule.size()); ++attempt) {
    SCOPED_TRACE(attempt);
    const double base = static_cast<double>(policy.schedule[attempt - 1].count());
    int64_t previous = 0;
    for (double r : {0.0, 1e-9, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 0.999999999}) {
      SCOPED_TRACE(r);
      const RetryDecision d = DecideRetry(policy, attempt, Outcome(500), kNow, r);
      ASSERT_EQ(d.kind, Kind::kRetry);
      const int64_t delay = d.next_attempt_at_ms - kNow;
      // [0.8 x, 1.2 x]: the factor is 1 - jitter + 2 x jitter x random01 (the upper end is
      // reached only by rounding, as random01 < 1).
      EXPECT_GE(static_cast<double>(delay), base * 0.8);
      EXPECT_LE(static_cast<double>(delay), base * 1.2);
      EXPECT_GE(delay, previous) << "a larger random number never gives a shorter delay";
      previous = delay;
    }
  }
}

TEST(RetryPolicyTest, JitterFollowsThePolicysSetting) {
  RetryPolicy policy;
  policy.schedule = {std::chrono::milliseconds(10'000)};
  policy.jitter = 0.5;
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(500), kNow, 0.0).next_attempt_at_ms, kNow + 5'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(500), kNow, 0.5).next_attempt_at_ms, kNow + 10'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(500), kNow, 0.75).next_attempt_at_ms, kNow + 12'500);
  policy.jitter = 0.0;
  for (double r : {0.0, 0.3, 0.999}) {
    EXPECT_EQ(DecideRetry(policy, 1, Outcome(500), kNow, r).next_attempt_at_ms, kNow + 10'000);
  }
}

TEST(RetryPolicyTest, AfterLastScheduledAttemptFails) {
  const RetryPolicy policy = DefaultRetryPolicy();
  EXPECT_EQ(DecideRetry(policy, 8, Outcome(500), kNow, 0.5).kind, Kind::kFailed);
  EXPECT_EQ(DecideRetry(policy, 8, Outcome(0), kNow, 0.5).kind, Kind::kFailed);
  EXPECT_EQ(DecideRetry(policy, 9, Outcome(503, "1"), kNow, 0.5).kind, Kind::kFailed);
}

TEST(RetryPolicyTest, TwoHundredsSucceed) {
  const RetryPolicy policy = DefaultRetryPolicy();
  for (int status : {200, 201, 204, 299}) {
    EXPECT_EQ(DecideRetry(policy, 1, Outcome(status), kNow, 0.5).kind, Kind::kSucceeded);
  }
  EXPECT_EQ(DecideRetry(policy, 8, Outcome(200), kNow, 0.5).kind, Kind::kSucceeded);
}

TEST(RetryPolicyTest, GoneDisablesEndpoint) {
  const RetryPolicy policy = DefaultRetryPolicy();
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(410), kNow, 0.5).kind, Kind::kDisableEndpoint);
  EXPECT_EQ(DecideRetry(policy, 8, Outcome(410), kNow, 0.5).kind, Kind::kDisableEndpoint);
}

TEST(RetryPolicyTest, OtherStatusesAreRetryable) {
  const RetryPolicy policy = DefaultRetryPolicy();
  for (int status : {0, 100, 199, 300, 301, 302, 304, 400, 401, 404, 408, 429, 500, 502, 503}) {
    SCOPED_TRACE(status);
    const RetryDecision d = DecideRetry(policy, 1, Outcome(status), kNow, 0.5);
    EXPECT_EQ(d.kind, Kind::kRetry);
    EXPECT_EQ(d.next_attempt_at_ms, kNow + 5'000);
  }
}

TEST(RetryPolicyTest, RetryAfterSecondsClampedToDelayAndTwiceDelay) {
  const RetryPolicy policy = DefaultRetryPolicy();  // attempt 1, random01 0.5 → delay 5000 ms
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "7"), kNow, 0.5).next_attempt_at_ms, kNow + 7'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "1"), kNow, 0.5).next_attempt_at_ms, kNow + 5'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "0"), kNow, 0.5).next_attempt_at_ms, kNow + 5'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "60"), kNow, 0.5).next_attempt_at_ms,
            kNow + 10'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "10"), kNow, 0.5).next_attempt_at_ms,
            kNow + 10'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(503, " 8 "), kNow, 0.5).next_attempt_at_ms,
            kNow + 8'000);
  EXPECT_EQ(
      DecideRetry(policy, 1, Outcome(429, "99999999999999999999999"), kNow, 0.5).next_attempt_at_ms,
      kNow + 10'000);
  // The clamp follows the jittered delay: random01 0 → delay 4000, bounds [4000, 8000].
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "9"), kNow, 0.0).next_attempt_at_ms, kNow + 8'000);
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(429, "3"), kNow, 0.0).next_attempt_at_ms, kNow + 4'000);
}

TEST(RetryPolicyTest, RetryAfterHttpDate) {
  const RetryPolicy policy = DefaultRetryPolicy();
  const std::string date = "Sun, 06 Nov 1994 08:49:37 GMT";
  // 8 s from now: inside [5000, 10000].
  RetryDecision d = DecideRetry(policy, 1, Outcome(503, date), kImfExampleMs - 8'000, 0.5);
  EXPECT_EQ(d.kind, Kind::kRetry);
  EXPECT_EQ(d.next_attempt_at_ms, kImfExampleMs);
  // Already past: the scheduled delay.
  d = DecideRetry(policy, 1, Outcome(503, date), kImfExampleMs + 1'000, 0.5);
  EXPECT_EQ(d.next_attempt_at_ms, kImfExampleMs + 1'000 + 5'000);
  // An hour away: twice the delay.
  d = DecideRetry(policy, 1, Outcome(429, date), kImfExampleMs - 3'600'000, 0.5);
  EXPECT_EQ(d.next_attempt_at_ms, kImfExampleMs - 3'600'000 + 10'000);
  // A leap-year date.
  d = DecideRetry(policy, 1, Outcome(503, "Thu, 29 Feb 2024 00:00:07 GMT"), 1'709'164'800'000, 0.5);
  EXPECT_EQ(d.next_attempt_at_ms, 1'709'164'807'000);
}

TEST(RetryPolicyTest, UnparsableRetryAfterIsIgnored) {
  const RetryPolicy policy = DefaultRetryPolicy();
  for (const char* garbage :
       {"", "soon", "-5", "1.5", "+7", "7s", "0x10", "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"}) {
    SCOPED_TRACE(garbage);
    const RetryDecision d = DecideRetry(policy, 1, Outcome(429, garbage), kImfExampleMs, 0.5);
    EXPECT_EQ(d.kind, Kind::kRetry);
    EXPECT_EQ(d.next_attempt_at_ms, kImfExampleMs + 5'000);
  }
}

TEST(RetryPolicyTest, RetryAfterOnlyHonouredFor429And503) {
  const RetryPolicy policy = DefaultRetryPolicy();
  for (int status : {500, 502, 0, 404}) {
    SCOPED_TRACE(status);
    EXPECT_EQ(DecideRetry(policy, 1, Outcome(status, "8"), kNow, 0.5).next_attempt_at_ms,
              kNow + 5'000);
  }
}

TEST(RetryPolicyTest, CustomScheduleOfOneEntry) {
  RetryPolicy policy;
  policy.schedule = {std::chrono::milliseconds(1'000)};
  policy.jitter = 0.0;
  RetryDecision d = DecideRetry(policy, 1, Outcome(0), kNow, 0.999);
  EXPECT_EQ(d.kind, Kind::kRetry);
  EXPECT_EQ(d.next_attempt_at_ms, kNow + 1'000);
  EXPECT_EQ(DecideRetry(policy, 2, Outcome(0), kNow, 0.5).kind, Kind::kFailed);
}

TEST(RetryPolicyTest, EmptyScheduleFailsAtOnce) {
  RetryPolicy policy;
  EXPECT_EQ(DecideRetry(policy, 1, Outcome(500), kNow, 0.5).kind, Kind::kFailed);
}

}  // namespace
}  // namespace hookd
