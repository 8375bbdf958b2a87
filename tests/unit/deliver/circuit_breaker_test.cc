// CircuitBreaker on explicit times (unix ms): when it opens, the cool-down and its doubling, the
// single half-open probe, and closing.
#include "deliver/circuit_breaker.h"

#include <gtest/gtest.h>

#include <climits>

namespace hookd {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

TEST(CircuitBreaker, FiveFailuresInARowOpenIt) {
  CircuitBreaker b;
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

TEST(CircuitBreaker, ASuccessResetsTheRunButHalfOfTheLastTwentyOpensIt) {
  CircuitBreaker b;
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
  CircuitBreaker b;
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
  CircuitBreaker b;
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

TEST(CircuitBreaker, ARestoredStateIsOpenUntilItsRetryTime) {
  CircuitBreaker b;
  b.Restore("a", CircuitState::kHalfOpen, kNow + 5'000);
  EXPECT_EQ(b.State("a"), CircuitState::kOpen);
  EXPECT_EQ(b.Allowance("a", kNow), 0);
  EXPECT_EQ(b.Allowance("a", kNow + 5'000), 1);
  EXPECT_EQ(std::string(CircuitStateName(ParseCircuitState("half_open"))), "half_open");
}

}  // namespace
}  // namespace hookd
