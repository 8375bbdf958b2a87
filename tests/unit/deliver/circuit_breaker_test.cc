// CircuitBreaker on explicit times (unix ms): when it opens, the cool-down and its doubling, the
// single half-open probe, and closing.
#include "deliver/circuit_breaker.h"

#include <gtest/gtest.h>

#include <climits>

namespace hookd {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

// The thresholds without the minimum span, so a test's failures may share one instant.
CircuitOptions NoSpan() {
  CircuitOptions o;
  o.min_failing_span = std::chrono::milliseconds(0);
  return o;
}

TEST(CircuitBreaker, FiveFailuresInARowOpenIt) {
  CircuitBreaker b(NoSpan());
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(b.OnResult("a", false, kNow).has_value());
  EXPECT_EQ(b.State("a"), CircuitState::kClosed);
  auto c = b.OnResult("a", false, kNow);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->from, CircuitState::kClosed);
  EXPECT_EQ(c->to, CircuitState::kOpen);
  EXPECT_EQ(c->retry_at_ms, kNow + 30'000);
  EXPECT_EQ(b.State("a"), CircuitState::kOpen);
  EXPECT_EQ(b.Allowance("a", kNow + 29'999), 0);
  EXPECT_EQ(b.NextRetryAt(kNow), kNow + 30'000);
  EXPECT_EQ(b.Count(CircuitState::kOpen), 1);
  // Results of attempts started before the opening change nothing.
  EXPECT_FALSE(b.OnResult("a", true, kNow + 1).has_value());
  EXPECT_EQ(b.State("a"), CircuitState::kOpen);
}

// NextRetryAt follows every opening, probe, reopening and restore: the earliest cool-down still
// to come, whichever endpoint it is.
TEST(CircuitBreaker, NextRetryAtIsTheEarliestCooldownStillToComeAcrossEndpoints) {
  CircuitBreaker b(NoSpan());
  EXPECT_FALSE(b.NextRetryAt(kNow).has_value());
  for (int i = 0; i < 5; ++i) b.OnResult("a", false, kNow);         // open until kNow + 30 s
  for (int i = 0; i < 5; ++i) b.OnResult("b", false, kNow + 1000);  // until kNow + 31 s
  b.Restore("c", CircuitState::kOpen, kNow + 10'000);
  EXPECT_EQ(b.NextRetryAt(kNow), kNow + 10'000);
  EXPECT_EQ(b.NextRetryAt(kNow + 10'000), kNow + 30'000) << "a cool-down ending now is not to come";
  // c's probe starts and fails: it reopens for 60 s from then.
  ASSERT_TRUE(b.OnStart("c", kNow + 10'000).has_value());
  EXPECT_EQ(b.NextRetryAt(kNow), kNow + 30'000) << "a half-open circuit has no cool-down";
  auto reopened = b.OnResult("c", false, kNow + 10'000);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(b.NextRetryAt(kNow + 31'000), reopened->retry_at_ms);
  // a's probe succeeds: closed, it is no longer waited for.
  ASSERT_TRUE(b.OnStart("a", kNow + 30'000).has_value());
  ASSERT_TRUE(b.OnResult("a", true, kNow + 30'000).has_value());
  EXPECT_EQ(b.NextRetryAt(kNow), kNow + 31'000);
  // A restore moves b's cool-down rather than adding a second one.
  b.Restore("b", CircuitState::kOpen, kNow + 90'000);
  EXPECT_EQ(b.NextRetryAt(kNow + 70'000 + 1), kNow + 90'000);
  EXPECT_EQ(b.Count(CircuitState::kOpen), 2);
}

TEST(CircuitBreaker, ASuccessResetsTheRunButHalfOfTheLastTwentyOpensIt) {
  CircuitBreaker b(NoSpan());
  // Failure, success alternating: never 5 in a row, but half of 10 attempts at the 10th.
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(b.OnResult("a", i % 2 == 1, kNow).has_value()) << i;
  auto c = b.OnResult("a", true, kNow);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->to, CircuitState::kOpen);
  // A healthy endpoint with the odd failure stays closed.
  for (int i = 0; i < 40; ++i) EXPECT_FALSE(b.OnResult("b", i % 4 != 0, kNow).has_value());
  EXPECT_EQ(b.State("b"), CircuitState::kClosed);
  EXPECT_EQ(b.Allowance("b", kNow), INT_MAX);
}

TEST(CircuitBreaker, OneProbeAfterTheCooldownItsSuccessCloses) {
  CircuitBreaker b(NoSpan());
  for (int i = 0; i < 5; ++i) b.OnResult("a", false, kNow);
  const int64_t later = kNow + 30'000;
  EXPECT_EQ(b.Allowance("a", later), 1);
  auto half = b.OnStart("a", later);
  ASSERT_TRUE(half.has_value());
  EXPECT_EQ(half->to, CircuitState::kHalfOpen);
  EXPECT_EQ(b.Allowance("a", later), 0);  // a single probe
  auto closed = b.OnResult("a", true, later + 10);
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->from, CircuitState::kHalfOpen);
  EXPECT_EQ(closed->to, CircuitState::kClosed);
  EXPECT_EQ(b.Allowance("a", later), INT_MAX);
  // Closed again: the next opening starts from the first cool-down.
  for (int i = 0; i < 5; ++i) b.OnResult("a", false, later);
  EXPECT_EQ(b.RetryAt("a"), later + 30'000);
}

TEST(CircuitBreaker, AFailedProbeReopensWithTheCooldownDoubledUpToTenMinutes) {
  CircuitBreaker b(NoSpan());
  for (int i = 0; i < 5; ++i) b.OnResult("a", false, kNow);
  int64_t t = kNow;
  int64_t expected = 30'000;
  for (int round = 0; round < 8; ++round) {
    EXPECT_EQ(b.RetryAt("a"), t + expected) << round;
    t = b.RetryAt("a");
    ASSERT_TRUE(b.OnStart("a", t).has_value());
    auto c = b.OnResult("a", false, t);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->from, CircuitState::kHalfOpen);
    EXPECT_EQ(c->to, CircuitState::kOpen);
    expected = std::min<int64_t>(expected * 2, 600'000);
  }
  EXPECT_EQ(b.RetryAt("a") - t, 600'000);
}

// A stall seen by many concurrent attempts at once is one incident, not five.
TEST(CircuitBreaker, FailuresMustGoOnForFiveSeconds) {
  CircuitBreaker b;
  for (int i = 0; i < 8; ++i) EXPECT_FALSE(b.OnResult("a", false, kNow).has_value());
  EXPECT_FALSE(b.OnResult("a", false, kNow + 4'999).has_value());
  auto c = b.OnResult("a", false, kNow + 5'000);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->to, CircuitState::kOpen);
  // A success in between starts the run over.
  CircuitBreaker d;
  for (int i = 0; i < 3; ++i) d.OnResult("a", false, kNow);  // 9 in the window: too few
  d.OnResult("a", true, kNow + 1'000);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(d.OnResult("a", false, kNow + 5'000).has_value());
  EXPECT_EQ(d.State("a"), CircuitState::kClosed);
}

TEST(CircuitBreaker, ARestoredStateIsOpenUntilItsRetryTime) {
  CircuitBreaker b(NoSpan());
  b.Restore("a", CircuitState::kHalfOpen, kNow + 5'000);
  EXPECT_EQ(b.State("a"), CircuitState::kOpen);
  EXPECT_EQ(b.Allowance("a", kNow), 0);
  EXPECT_EQ(b.Allowance("a", kNow + 5'000), 1);
  EXPECT_EQ(std::string(CircuitStateName(ParseCircuitState("half_open"))), "half_open");
}

}  // namespace
}  // namespace hookd
