// SessionStore on PostgreSQL, over a PgPool: the same behaviour as SqliteSessionStore (docs/
// DECISIONS.md, "PostgreSQL: the stores over a PgPool"). Each call is one statement in its own
// transaction, so a session deleted through one node's pool is gone for every other node's next
// read. Thread-safe.
#pragma once

#include "storage/pg/pg_pool.h"
#include "web/session_store.h"

namespace hookd {

// Every statement that deletes sessions announces it here when it commits (migration
// 0004_sessions_notify); a node's PgWakeListener on it calls Sessions::ForgetCached.
inline constexpr char kPgSessionsChannel[] = "hookd_sessions";

class PgSessionStore final : public SessionStore {
 public:
  explicit PgSessionStore(PgPool& pool) : pool_(pool) {}
  Status Insert(const SessionRecord& s) override;
  Result<std::optional<SessionRecord>> Get(const std::string& id_hash) override;
  Status Touch(const std::string& id_hash, int64_t last_seen_at) override;
  Result<bool> Delete(const std::string& id_hash) override;
  Status DeleteStale(int64_t idle_cutoff, int64_t absolute_cutoff,
                     const std::string& keep_fingerprint) override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
