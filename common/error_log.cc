#include "common/error_log.h"

#include <iostream>

namespace hookd {

ErrorLog::ErrorLog(const Clock& clock, std::string prefix, std::chrono::milliseconds interval)
    : clock_(clock), prefix_(std::move(prefix)), interval_ms_(interval.count()) {}

std::string ErrorLog::Format(std::string_view message) {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  if (last_ms_ != INT64_MIN && now - last_ms_ < interval_ms_) {
    ++suppressed_;
    return "";
  }
  std::string line = "hookd: " + prefix_ + ": " + std::string(message);
  if (suppressed_ > 0)
    line += " (and " + std::to_string(suppressed_) + " more like it since the last report)";
  last_ms_ = now;
  suppressed_ = 0;
  return line;
}

void ErrorLog::Log(std::string_view message) {
  std::string line = Format(message);
  if (!line.empty()) std::cerr << line << "\n";
}

}  // namespace hookd
