// An in-memory EventStore for tests, deduplicating like the real one, that can be told to fail
// chosen commits (leveldb's FaultInjectionTestEnv idea). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "ingest/event_store.h"

namespace hookd::testing {

class FakeEventStore final : public EventStore {
 public:
  // Commits whose 1-based number is in `failing` return 503 and store nothing.
  explicit FakeEventStore(std::set<int> failing = {}) : failing_(std::move(failing)) {}

  Result<std::vector<IngestOutcome>> CommitBatch(const std::vector<Event>& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++commits_;
    batch_sizes_.push_back(batch.size());
    if (failing_.count(commits_) || fail_all_) return Status::Unavailable("injected fault");
    std::vector<IngestOutcome> out;
    auto staged = by_key_;
    std::vector<Event> added;
    for (const Event& e : batch) {
      auto key = std::make_pair(e.source_id, e.provider_event_id);
      auto it = staged.find(key);
      if (it != staged.end()) {
        out.push_back({it->second, true});
      } else {
        staged[key] = e.id;
        added.push_back(e);
        out.push_back({e.id, false});
      }
    }
    by_key_ = std::move(staged);
    for (auto& e : added) events_.push_back(std::move(e));
    return out;
  }
  Result<Event> Get(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Event& e : events_)
      if (e.id == id) return e;
    return Status::NotFound("no event " + id);
  }
  Result<std::vector<Event>> List(const EventFilter&, const std::optional<std::string>&,
                                  int) override {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

  void set_fail_all(bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_all_ = v;
  }
  size_t stored() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }
  std::vector<size_t> batch_sizes() {
    std::lock_guard<std::mutex> lock(mu_);
    return batch_sizes_;
  }

 private:
  std::mutex mu_;
  std::set<int> failing_;                                              // guarded by mu_
  bool fail_all_ = false;                                              // guarded by mu_
  int commits_ = 0;                                                    // guarded by mu_
  std::vector<size_t> batch_sizes_;                                    // guarded by mu_
  std::map<std::pair<std::string, std::string>, std::string> by_key_;  // guarded by mu_
  std::vector<Event> events_;                                          // guarded by mu_
};

}  // namespace hookd::testing
