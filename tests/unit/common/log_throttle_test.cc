#include "common/log_throttle.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(LogThrottleTest, FirstPassesThenOncePerIntervalWithTheCountLeftOut) {
  FakeClock clock(5'000'000);
  LogThrottle throttle(clock, std::chrono::minutes(1));
  EXPECT_EQ(throttle.Admit("src_a"), 0);
  for (int i = 0; i < 10; ++i) {
    clock.Advance(std::chrono::seconds(5));
    EXPECT_EQ(throttle.Admit("src_a"), std::nullopt) << i;  // 5 s .. 50 s
  }
  // Another key has its own interval.
  EXPECT_EQ(throttle.Admit("src_b"), 0);
  EXPECT_EQ(throttle.Admit("src_b"), std::nullopt);
  clock.Advance(std::chrono::seconds(10));  // 60 s after src_a's first line
  EXPECT_EQ(throttle.Admit("src_a"), 10);
  EXPECT_EQ(throttle.Admit("src_a"), std::nullopt);
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(throttle.Admit("src_a"), 1);
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(throttle.Admit("src_a"), 0);
}

TEST(LogThrottleTest, KeysAreBoundedAndAForgottenKeyPassesAgain) {
  FakeClock clock(5'000'000);
  LogThrottle throttle(clock, std::chrono::minutes(1), 3);
  EXPECT_EQ(throttle.Admit("a"), 0);
  EXPECT_EQ(throttle.Admit("b"), 0);
  EXPECT_EQ(throttle.Admit("c"), 0);
  EXPECT_EQ(throttle.Admit("a"), std::nullopt);
  // A fourth key while all three are within their interval: everything is forgotten.
  EXPECT_EQ(throttle.Admit("d"), 0);
  EXPECT_EQ(throttle.Admit("a"), 0);
  EXPECT_EQ(throttle.Admit("d"), std::nullopt);
}

}  // namespace
}  // namespace hookd
