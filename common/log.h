// Logger: hookd's one way of saying what it does. Each event is one line written with one
// write(2): in `text` format "2026-12-06T05:01:39.123Z INFO circuit opened endpoint_id=ep_…",
// in `json` format one object {"time","level","msg", fields…} per line. Control characters and
// newlines in messages and values are escaped, so one event is always one line. Lines below the
// logger's level are dropped before they are formatted. Time comes from the injected Clock.
// Thread-safe (the sink serializes writes).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/clock.h"

namespace hookd {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// "debug", "info", "warn", "error".
const char* LogLevelName(LogLevel level);
// The level named (case-insensitive; "warning" is "warn"), nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
// "text" or "json" (case-insensitive), nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// One key=value of a line: a string, a number or a boolean.
struct LogField {
  enum class Kind { kString, kNumber, kBool };
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), kind(Kind::kBool) {}
  // Three decimals (a duration in milliseconds).
  LogField(std::string_view k, double v);
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) LogField(std::string_view k, T v)
      : key(k), value(std::to_string(v)), kind(Kind::kNumber) {}

  std::string key;
  std::string value;
  Kind kind = Kind::kString;
};

// Where finished lines go. Write receives one whole line, newline included.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(std::string_view line) = 0;
};

// Writes each line to a file descriptor (stdout for hookd serve) with one write(2) under a
// mutex, so lines from different threads never interleave.
class FdLogSink final : public LogSink {
 public:
  explicit FdLogSink(int fd) : fd_(fd) {}
  void Write(std::string_view line) override;

 private:
  const int fd_;
  std::mutex mu_;
};

class Logger {
 public:
  Logger(LogSink& sink, const Clock& clock, LogLevel level = LogLevel::kInfo,
         LogFormat format = LogFormat::kText)
      : sink_(sink), clock_(clock), level_(level), format_(format) {}

  // A logger that writes nothing: the default where none is injected (unit tests).
  static Logger& Discard();

  bool Enabled(LogLevel level) const { return level >= level_; }
  LogLevel level() const { return level_; }
  LogFormat format() const { return format_; }

  void Log(LogLevel level, std::string_view msg, std::span<const LogField> fields) const;
  void Log(LogLevel level, std::string_view msg,
           std::initializer_list<LogField> fields = {}) const {
    Log(level, msg, std::span<const LogField>(fields.begin(), fields.size()));
  }
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kError, msg, fields);
  }

  // The line Log would write now (newline included), whatever the level.
  std::string Format(LogLevel level, std::string_view msg, std::span<const LogField> fields) const;

 private:
  LogSink& sink_;
  const Clock& clock_;
  const LogLevel level_;
  const LogFormat format_;
};

}  // namespace hookd
