#include "common/error_log.h"

#include <gtest/gtest.h>

#include "tests/testing/memory_log_sink.h"

namespace hookd {
namespace {

TEST(ErrorLogTest, RepeatsWithinTheIntervalAreCountedNotWritten) {
  FakeClock clock(1'000'000);
  testing::MemoryLogSink sink;
  Logger logger(sink, clock, LogLevel::kInfo, LogFormat::kJson);
  ErrorLog log(logger, clock, "WAL checkpoint failed", std::chrono::seconds(30));
  EXPECT_TRUE(log.Log("disk full"));
  for (int i = 0; i < 299; ++i) {  // ten a second for 29.9 s
    clock.Advance(std::chrono::milliseconds(100));
    EXPECT_FALSE(log.Log("disk full")) << i;
  }
  clock.Advance(std::chrono::milliseconds(100));
  EXPECT_TRUE(log.Log("disk still full"));
  clock.Advance(std::chrono::seconds(31));
  EXPECT_TRUE(log.Log("disk full"));
  const auto lines = sink.JsonLines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_EQ(lines[0]["msg"], "WAL checkpoint failed");
  EXPECT_EQ(lines[0]["error"], "disk full");
  EXPECT_FALSE(lines[0].contains("suppressed"));
  EXPECT_EQ(lines[1]["error"], "disk still full");
  EXPECT_EQ(lines[1]["suppressed"], 299);
  EXPECT_FALSE(lines[2].contains("suppressed"));
}

TEST(ErrorLogTest, TextLineNamesTheCountLeftOut) {
  FakeClock clock(1'000'000);
  testing::MemoryLogSink sink;
  Logger logger(sink, clock);
  ErrorLog log(logger, clock, "recording failed", std::chrono::seconds(30));
  log.Log("busy");
  log.Log("busy");
  clock.Advance(std::chrono::seconds(30));
  log.Log("busy");
  ASSERT_EQ(sink.Lines().size(), 2u);
  EXPECT_TRUE(sink.Lines()[1].ends_with(" ERROR recording failed error=busy suppressed=1\n"))
      << sink.Lines()[1];
}

}  // namespace
}  // namespace hookd
