// An in-memory SessionStore that counts calls and fails on demand. For tests only; thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "web/session_store.h"

namespace hookd::testing {

class FakeSessionStore final : public SessionStore {
 public:
  Status Insert(const SessionRecord& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++inserts;
    if (fail) return Status::Unavailable("disk full");
    rows[s.id_hash] = s;
    return Status::Ok();
  }
  Result<std::optional<SessionRecord>> Get(const std::string& id_hash) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++gets;
    if (fail) return Status::Unavailable("disk I/O error");
    auto it = rows.find(id_hash);
    if (it == rows.end()) return std::optional<SessionRecord>();
    return std::optional<SessionRecord>(it->second);
  }
  Status Touch(const std::string& id_hash, int64_t last_seen_at) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++touches;
    if (fail) return Status::Unavailable("disk full");
    if (auto it = rows.find(id_hash); it != rows.end())
      it->second.last_seen_at = std::max(it->second.last_seen_at, last_seen_at);
    return Status::Ok();
  }
  Result<bool> Delete(const std::string& id_hash) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++deletes;
    if (fail) return Status::Unavailable("disk full");
    return rows.erase(id_hash) > 0;
  }
  Status DeleteStale(int64_t idle_cutoff, int64_t absolute_cutoff,
                     const std::string& keep_fingerprint) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++stale_deletes;
    if (fail) return Status::Unavailable("disk full");
    std::erase_if(rows, [&](const auto& kv) {
      return kv.second.last_seen_at < idle_cutoff || kv.second.created_at < absolute_cutoff ||
             kv.second.token_fingerprint != keep_fingerprint;
    });
    return Status::Ok();
  }

  // Public so tests can inspect and change them between calls (not during).
  std::map<std::string, SessionRecord> rows;
  bool fail = false;
  int inserts = 0, gets = 0, touches = 0, deletes = 0, stale_deletes = 0;

 private:
  std::mutex mu_;
};

}  // namespace hookd::testing
