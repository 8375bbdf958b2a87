#include "common/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/testing/memory_log_sink.h"

namespace hookd {
namespace {

using testing::MemoryLogSink;

constexpr int64_t kNoon = 1'796'558'400'123;  // 2026-12-06T12:00:00.123Z

TEST(LogTest, LinesBelowTheLevelAreLeftOut) {
  FakeClock clock(kNoon);
  MemoryLogSink sink;
  Logger log(sink, clock, LogLevel::kWarn, LogFormat::kJson);
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  ASSERT_EQ(sink.Lines().size(), 2u);
  EXPECT_EQ(sink.JsonLines()[0]["msg"], "w");
  EXPECT_EQ(sink.JsonLines()[1]["msg"], "e");
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.Enabled(LogLevel::kError));

  MemoryLogSink all;
  Logger debug(all, clock, LogLevel::kDebug, LogFormat::kJson);
  debug.Debug("d");
  debug.Info("i");
  ASSERT_EQ(all.Lines().size(), 2u);
  EXPECT_EQ(all.JsonLines()[0]["level"], "debug");
}

TEST(LogTest, JsonLinesParseAndCarryTheirFieldsTyped) {
  FakeClock clock(kNoon);
  MemoryLogSink sink;
  Logger log(sink, clock, LogLevel::kInfo, LogFormat::kJson);
  log.Warn("circuit opened", {{"endpoint_id", "ep_1"},
                              {"attempts", 3},
                              {"bytes", size_t{12}},
                              {"open", true},
                              {"duration_ms", 1.5},
                              {"msg", "not a second msg"}});
  const std::vector<std::string> lines = sink.Lines();
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_EQ(lines[0].back(), '\n');
  EXPECT_EQ(lines[0].find('\n'), lines[0].size() - 1) << "one line";
  const nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["time"], "2026-12-06T12:00:00.123Z");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "circuit opened");
  EXPECT_EQ(j["endpoint_id"], "ep_1");
  EXPECT_EQ(j["attempts"], 3);
  EXPECT_EQ(j["bytes"], 12);
  EXPECT_EQ(j["open"], true);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.5);
  // A field cannot replace the line's own members.
  EXPECT_EQ(lines[0].find("not a second msg"), std::string::npos);
  // Members in order: time, level, msg first.
  EXPECT_TRUE(lines[0].starts_with(R"({"time":"2026-12-06T12:00:00.123Z","level":"warn","msg":)"))
      << lines[0];
}

TEST(LogTest, TextLinesAreTimeLevelMessageAndKeyValues) {
  FakeClock clock(kNoon);
  MemoryLogSink sink;
  Logger log(sink, clock);  // info, text
  log.Info("endpoint disabled", {{"endpoint_id", "ep_1"},
                                 {"reason", "the endpoint answered 410 Gone"},
                                 {"attempts", 2},
                                 {"empty", ""},
                                 {"quote", "say \"hi\""}});
  ASSERT_EQ(sink.Lines().size(), 1u);
  EXPECT_EQ(sink.Lines()[0],
            "2026-12-06T12:00:00.123Z INFO endpoint disabled endpoint_id=ep_1 "
            "reason=\"the endpoint answered 410 Gone\" attempts=2 empty=\"\" "
            "quote=\"say \\\"hi\\\"\"\n");
}

TEST(LogTest, ControlCharactersAndNewlinesNeverSplitALine) {
  FakeClock clock(kNoon);
  const std::string nasty = "first\nsecond\r\n\x1b[31mred\ttab\x7f \\ end";
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    MemoryLogSink sink;
    Logger log(sink, clock, LogLevel::kInfo, format);
    log.Error(nasty, {{"error", nasty}, {nasty, "key"}});
    ASSERT_EQ(sink.Lines().size(), 1u);
    const std::string line = sink.Lines()[0];  // Lines() is a copy
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
    EXPECT_EQ(line.find('\x7f'), std::string::npos) << line;
    if (format == LogFormat::kJson) {
      const nlohmann::json j = nlohmann::json::parse(line);
      EXPECT_EQ(j["msg"], nasty);
      EXPECT_EQ(j["error"], nasty);
      EXPECT_EQ(j[nasty], "key");
    } else {
      EXPECT_NE(line.find("first\\nsecond\\r\\n\\x1b[31mred\\ttab\\x7f"), std::string::npos)
          << line;
      // A quoted value escapes its backslash, so it reads back unambiguously.
      EXPECT_NE(line.find("error=\"first\\nsecond\\r\\n\\x1b[31mred\\ttab\\x7f \\\\ end\""),
                std::string::npos)
          << line;
    }
  }
}

TEST(LogTest, InvalidUtf8StillMakesAJsonLine) {
  FakeClock clock(kNoon);
  MemoryLogSink sink;
  Logger log(sink, clock, LogLevel::kInfo, LogFormat::kJson);
  log.Warn("bad \xff\xfe bytes", {{"path", "/ingest/\xc3"}});
  const nlohmann::json j = nlohmann::json::parse(sink.Lines().at(0));
  EXPECT_EQ(j["msg"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST(LogTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("Warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel(""), std::nullopt);
  EXPECT_EQ(ParseLogLevel("trace"), std::nullopt);
  EXPECT_EQ(ParseLogLevel("info "), std::nullopt);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("TEXT"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("logfmt"), std::nullopt);
  EXPECT_EQ(ParseLogFormat(""), std::nullopt);
}

TEST(LogTest, DiscardWritesNothingAtAnyLevel) {
  EXPECT_FALSE(Logger::Discard().Enabled(LogLevel::kError));
  Logger::Discard().Error("nowhere");  // no crash, nothing to see
}

// Lines from many threads through one descriptor never interleave: each is one write.
TEST(LogTest, FdSinkKeepsLinesWholeAcrossThreads) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  FakeClock clock(kNoon);
  FdLogSink sink(fds[1]);
  Logger log(sink, clock, LogLevel::kInfo, LogFormat::kJson);
  std::string read_back;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) read_back.append(buf, static_cast<size_t>(n));
  });
  constexpr int kThreads = 4, kLines = 300;
  std::vector<std::thread> writers;
  const std::string padding(900, 'x');
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i)
        log.Info("line", {{"thread", t}, {"i", i}, {"pad", padding}});
    });
  for (auto& w : writers) w.join();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  size_t count = 0, start = 0;
  while (start < read_back.size()) {
    const size_t end = read_back.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const auto j = nlohmann::json::parse(read_back.substr(start, end - start), nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << read_back.substr(start, end - start);
    EXPECT_EQ(j["pad"], padding);
    ++count;
    start = end + 1;
  }
  EXPECT_EQ(count, static_cast<size_t>(kThreads * kLines));
}

}  // namespace
}  // namespace hookd
