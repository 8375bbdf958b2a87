// ErrorLog: writes a repeating error to stderr at most once per interval, with how many were
// left out meanwhile, so a condition that fails every 100 ms (a full disk) leaves a readable
// log instead of ten lines a second. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace hookd {

class ErrorLog {
 public:
  ErrorLog(const Clock& clock, std::string prefix,
           std::chrono::milliseconds interval = std::chrono::seconds(30));

  // The line that would be written now for `message`, or "" when it is left out. Log() writes it.
  std::string Format(std::string_view message);
  void Log(std::string_view message);

 private:
  const Clock& clock_;
  const std::string prefix_;
  const int64_t interval_ms_;
  std::mutex mu_;  // guards the fields below
  int64_t last_ms_ = INT64_MIN;
  int64_t suppressed_ = 0;
};

}  // namespace hookd
