// ErrorLog: logs a repeating error (at level error, through the Logger) at most once per
// interval, with how many were left out meanwhile (`suppressed`), so a condition that fails
// every 100 ms (a full disk) leaves a readable log instead of ten lines a second. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_throttle.h"

namespace hookd {

class ErrorLog {
 public:
  // `what` is the line's message ("WAL checkpoint failed (retried later)"); each occurrence's
  // own words go in its `error` field.
  ErrorLog(const Logger& logger, const Clock& clock, std::string what,
           std::chrono::milliseconds interval = std::chrono::seconds(30))
      : logger_(&logger), what_(std::move(what)), throttle_(clock, interval, 1) {}

  // Logs `error` unless a line was written less than the interval ago. True when written.
  bool Log(std::string_view error);
  // Where the lines go from now on (set before the first Log; not synchronized with it).
  void SetLogger(const Logger& logger) { logger_ = &logger; }

 private:
  const Logger* logger_;
  const std::string what_;
  LogThrottle throttle_;
};

}  // namespace hookd
