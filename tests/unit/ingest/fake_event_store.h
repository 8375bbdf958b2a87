// An EventStore for the group committer's unit tests: it stores nothing, records every batch it
// is given, and answers as scripted, so a test sees exactly what the committer hands to its store
// and what it does with the answers. Claims about what ends up stored (rollback, dedup) are
// tested against the real SqliteEventStore (tests/integration/event_store_commit_test.cc).
// Thread-safe.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ingest/event_store.h"

namespace hookd::testing {

class FakeEventStore final : public EventStore {
 public:
  // Commits whose 1-based number is in `failing` answer 503.
  explicit FakeEventStore(std::set<int> failing = {}) : failing_(std::move(failing)) {}

  // Otherwise each event is answered as new with its own id, except that an event whose
  // provider_event_id is "dup:<x>" is answered as a duplicate of "evt_<x>".
  Result<std::vector<IngestOutcome>> CommitBatch(const std::vector<Event>& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++commits_;
    std::vector<std::string> ids;
    for (const Event& e : batch) ids.push_back(e.id);
    batches_.push_back(std::move(ids));
    if (failing_.count(commits_) || fail_all_) return Status::Unavailable("injected fault");
    std::vector<IngestOutcome> out;
    for (const Event& e : batch) {
      if (e.provider_event_id.starts_with("dup:"))
        out.push_back({"evt_" + e.provider_event_id.substr(4), true});
      else
        out.push_back({e.id, false});
    }
    if (short_answer_) out.pop_back();
    return out;
  }
  Result<Event> Get(const std::string& id) override { return Status::NotFound("no event " + id); }
  Result<std::vector<Event>> List(const EventFilter&, const std::optional<std::string>&,
                                  int) override {
    return std::vector<Event>{};
  }

  void set_fail_all(bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_all_ = v;
  }
  // Answers one outcome fewer than the batch had events (a broken store).
  void set_short_answer(bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    short_answer_ = v;
  }
  // The event ids of each batch, in commit order.
  std::vector<std::vector<std::string>> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::set<int> failing_;                          // guarded by mu_
  bool fail_all_ = false;                          // guarded by mu_
  bool short_answer_ = false;                      // guarded by mu_
  int commits_ = 0;                                // guarded by mu_
  std::vector<std::vector<std::string>> batches_;  // guarded by mu_
};

}  // namespace hookd::testing
