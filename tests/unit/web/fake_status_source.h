// An in-memory status log for the stream tests: entries appended by the test, reads counted.
// Appending while a started hub reads is safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "web/status_source.h"

namespace hookd {

class FakeStatusSource final : public StatusSource {
 public:
  // Appends an entry with the next seq; `data` carries the ids filters look at.
  int64_t Append(const std::string& type, nlohmann::json data = nlohmann::json::object()) {
    std::lock_guard<std::mutex> lock(mu_);
    StatusEntry e;
    e.seq = ++last_;
    e.type = type;
    e.at_ms = 1'700'000'000'000 + e.seq;
    e.data = std::move(data);
    log_.push_back(e);
    return e.seq;
  }
  // Removes entries up to `seq` (as retention would).
  void PruneThrough(int64_t seq) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(log_, [seq](const StatusEntry& e) { return e.seq <= seq; });
  }
  Result<std::vector<StatusEntry>> ReadAfter(int64_t after, int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reads;
    std::vector<StatusEntry> out;
    for (const StatusEntry& e : log_) {
      if (e.seq > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  Result<int64_t> LastSeq() override {
    ++end_reads;
    return last_.load();
  }

  int reads = 0;                  // ReadAfter calls (guarded by mu_ while a hub thread runs)
  std::atomic<int> end_reads{0};  // LastSeq calls

 private:
  std::mutex mu_;
  std::atomic<int64_t> last_{0};
  std::vector<StatusEntry> log_;
};

}  // namespace hookd
