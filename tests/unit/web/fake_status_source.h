// An in-memory status log for the stream tests: entries appended by the test, reads counted.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "web/status_source.h"

namespace hookd {

class FakeStatusSource final : public StatusSource {
 public:
  // Appends an entry with the next seq; `data` carries the ids filters look at.
  int64_t Append(const std::string& type, nlohmann::json data = nlohmann::json::object()) {
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
    std::erase_if(log_, [seq](const StatusEntry& e) { return e.seq <= seq; });
  }
  Result<std::vector<StatusEntry>> ReadAfter(int64_t after, int limit) override {
    ++reads;
    std::vector<StatusEntry> out;
    for (const StatusEntry& e : log_) {
      if (e.seq > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  Result<int64_t> LastSeq() override { return last_; }

  int reads = 0;

 private:
  int64_t last_ = 0;
  std::vector<StatusEntry> log_;
};

}  // namespace hookd
