// ProcessCollector: /proc/<pid>/stat parsing (odd command names, short or garbled lines) and the
// figures of this very process (open descriptors follow a file opened and closed, RSS > 0).
#include "common/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <prometheus/text_serializer.h>

namespace hookd {
namespace {

// Fields 3.. of a stat line with utime 250, stime 50, starttime 1000, rss 300 (pages).
constexpr const char* kStatTail =
    " S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 1000 123456789 300 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetrics, ParsesTheStatLine) {
  auto s = ParseProcStat(std::string("4242 (hookd)") + kStatTail, 100, 4096, 1'700'000'000);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);  // (250 + 50) / 100
  EXPECT_DOUBLE_EQ(s->resident_bytes, 300.0 * 4096);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'700'000'010.0);  // boot + 1000 / 100
}

TEST(ProcessMetrics, ACommandNameWithSpacesAndParenthesesIsSkipped) {
  auto s = ParseProcStat(std::string("7 (a) b (c) 9 9)") + kStatTail, 100, 4096, 0);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);
}

TEST(ProcessMetrics, GarbledOrShortLinesAreRefused) {
  EXPECT_FALSE(ParseProcStat("", 100, 4096, 0));
  EXPECT_FALSE(ParseProcStat("4242 hookd S 1 2 3", 100, 4096, 0));  // no ')'
  EXPECT_FALSE(ParseProcStat("4242 (hookd) S 1 2 3 0 -1 4194560 100 0 0 0 250", 100, 4096, 0));
  std::string garbled = std::string("4242 (hookd)") + kStatTail;
  garbled.replace(garbled.find(" 250 "), 5, " 2x0 ");
  EXPECT_FALSE(ParseProcStat(garbled, 100, 4096, 0));
  EXPECT_FALSE(ParseProcStat(std::string("1 (x)") + kStatTail, 0, 4096, 0));
}

TEST(ProcessMetrics, BootTimeComesFromTheBtimeLine) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1699999999\nprocesses 9\n").value_or(-1),
            1699999999.0);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n"));
  EXPECT_FALSE(ParseBootTime("btime soon\n"));
}

TEST(ProcessMetrics, ThisProcessHasSaneFigures) {
  auto s = ReadProcessStats();
  ASSERT_TRUE(s);
  EXPECT_GT(s->resident_bytes, 1 << 20);
  EXPECT_GE(s->cpu_seconds, 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s->start_time_seconds, now + 1);
  EXPECT_GT(s->start_time_seconds, now - 3600);
  auto max = MaxFds();
  ASSERT_TRUE(max);
  EXPECT_GE(*max, 64);
}

TEST(ProcessMetrics, OpenFdsFollowsFilesOpenedAndClosed) {
  auto before = CountOpenFds();
  ASSERT_TRUE(before);
  EXPECT_GE(*before, 3);  // stdin, stdout, stderr at least
  int fds[3];
  for (int& fd : fds) {
    fd = open("/proc/self/stat", O_RDONLY);
    ASSERT_GE(fd, 0);
  }
  EXPECT_EQ(CountOpenFds().value_or(-1), *before + 3);
  for (int fd : fds) close(fd);
  EXPECT_EQ(CountOpenFds().value_or(-1), *before);
}

TEST(ProcessMetrics, TheCollectorServesTheFiveFamilies) {
  ProcessCollector c;
  auto families = c.Collect();
  const std::string text = prometheus::TextSerializer().Serialize(families);
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_open_fds gauge", "# TYPE process_max_fds gauge",
        "# TYPE process_start_time_seconds gauge"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

}  // namespace
}  // namespace hookd
