// SessionStore on SQLite (migrations/0003_sessions.sql), through the connection pool.
// Thread-safe.
#pragma once

#include "common/db.h"
#include "web/session_store.h"

namespace hookd {

class SqliteSessionStore final : public SessionStore {
 public:
  explicit SqliteSessionStore(DbPool& pool) : pool_(pool) {}
  Status Insert(const SessionRecord& s) override;
  Result<std::optional<SessionRecord>> Get(const std::string& id_hash) override;
  Status Touch(const std::string& id_hash, int64_t last_seen_at) override;
  Result<bool> Delete(const std::string& id_hash) override;
  Status DeleteStale(int64_t idle_cutoff, int64_t absolute_cutoff,
                     const std::string& keep_fingerprint) override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
