// LogThrottle: lets a repeating log line through at most once per interval for each key (a
// source id, or one key for a single condition) and counts the ones held back, so a condition
// that repeats ten times a second leaves one line per interval that says how many it stands
// for. The first occurrence of a key always passes. At most `max_keys` keys are remembered; past
// that the quiet ones are forgotten. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace hookd {

class LogThrottle {
 public:
  LogThrottle(const Clock& clock, std::chrono::milliseconds interval, size_t max_keys = 10000)
      : clock_(clock), interval_ms_(interval.count()), max_keys_(max_keys) {}

  // nullopt: leave this line out (it is counted). Otherwise write it: the value is how many
  // lines of the key were left out since the last one written.
  std::optional<int64_t> Admit(std::string_view key = {});

 private:
  struct Entry {
    int64_t last_ms = 0;
    int64_t suppressed = 0;
  };
  const Clock& clock_;
  const int64_t interval_ms_;
  const size_t max_keys_;
  std::mutex mu_;  // guards entries_
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace hookd
