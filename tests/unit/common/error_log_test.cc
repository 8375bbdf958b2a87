#include "common/error_log.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(ErrorLogTest, RepeatsWithinTheIntervalAreCountedNotWritten) {
  FakeClock clock(1'000'000);
  ErrorLog log(clock, "WAL checkpoint failed", std::chrono::seconds(30));
  EXPECT_EQ(log.Format("disk full"), "hookd: WAL checkpoint failed: disk full");
  for (int i = 0; i < 299; ++i) {  // ten a second for 29.9 s
    clock.Advance(std::chrono::milliseconds(100));
    EXPECT_EQ(log.Format("disk full"), "") << i;
  }
  clock.Advance(std::chrono::milliseconds(100));
  EXPECT_EQ(log.Format("disk full"),
            "hookd: WAL checkpoint failed: disk full (and 299 more like it since the last report)");
  clock.Advance(std::chrono::seconds(31));
  EXPECT_EQ(log.Format("disk full"), "hookd: WAL checkpoint failed: disk full");
}

}  // namespace
}  // namespace hookd
