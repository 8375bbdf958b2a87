#include "storage/pg/pg_session_store.h"

namespace hookd {

Status PgSessionStore::Insert(const SessionRecord& s) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "INSERT INTO sessions (id_hash, token_fingerprint, created_at, last_seen_at)"
      " VALUES ($1, $2, $3, $4)",
      {s.id_hash, s.token_fingerprint, s.created_at, s.last_seen_at});
  return r.status();
}

Result<std::optional<SessionRecord>> PgSessionStore::Get(const std::string& id_hash) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT token_fingerprint, created_at, last_seen_at FROM sessions WHERE id_hash = $1",
      {id_hash});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<SessionRecord>();
  auto created_at = r->Int(0, 1);
  if (!created_at.ok()) return created_at.status();
  auto last_seen_at = r->Int(0, 2);
  if (!last_seen_at.ok()) return last_seen_at.status();
  SessionRecord s;
  s.id_hash = id_hash;
  s.token_fingerprint = r->Text(0, 0);
  s.created_at = *created_at;
  s.last_seen_at = *last_seen_at;
  return std::optional<SessionRecord>(std::move(s));
}

Status PgSessionStore::Touch(const std::string& id_hash, int64_t last_seen_at) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // GREATEST: each node writes its own last sighting.
  auto r = (*conn)->Exec(
      "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1::bigint) WHERE id_hash = $2",
      {last_seen_at, id_hash});
  return r.status();
}

Result<bool> PgSessionStore::Delete(const std::string& id_hash) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM sessions WHERE id_hash = $1", {id_hash});
  if (!r.ok()) return r.status();
  return r->Affected() > 0;
}

Status PgSessionStore::DeleteStale(int64_t idle_cutoff, int64_t absolute_cutoff,
                                   const std::string& keep_fingerprint) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2 OR token_fingerprint <> $3",
      {idle_cutoff, absolute_cutoff, keep_fingerprint});
  return r.status();
}

}  // namespace hookd
