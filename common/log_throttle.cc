#include "common/log_throttle.h"

namespace hookd {

std::optional<int64_t> LogThrottle::Admit(std::string_view key) {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (now - e.last_ms < interval_ms_) {
      ++e.suppressed;
      return std::nullopt;
    }
    const int64_t left_out = e.suppressed;
    e = Entry{now, 0};
    return left_out;
  }
  if (entries_.size() >= max_keys_) {
    // Forget keys whose interval is over and that held nothing back; if none is, forget all.
    std::erase_if(entries_, [&](const auto& kv) {
      return now - kv.second.last_ms >= interval_ms_ && kv.second.suppressed == 0;
    });
    if (entries_.size() >= max_keys_) entries_.clear();
  }
  entries_.emplace(std::string(key), Entry{now, 0});
  return 0;
}

}  // namespace hookd
