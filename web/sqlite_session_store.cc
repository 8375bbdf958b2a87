#include "web/sqlite_session_store.h"

namespace hookd {

Status SqliteSessionStore::Insert(const SessionRecord& s) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "INSERT INTO sessions (id_hash, token_fingerprint, created_at, last_seen_at)"
      " VALUES (?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  return (*st)
      ->Bind(1, s.id_hash)
      .Bind(2, s.token_fingerprint)
      .Bind(3, s.created_at)
      .Bind(4, s.last_seen_at)
      .Run();
}

Result<std::optional<SessionRecord>> SqliteSessionStore::Get(const std::string& id_hash) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT token_fingerprint, created_at, last_seen_at FROM sessions WHERE id_hash = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, id_hash).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<SessionRecord>();
  SessionRecord s;
  s.id_hash = id_hash;
  s.token_fingerprint = (*st)->Text(0);
  s.created_at = (*st)->Int(1);
  s.last_seen_at = (*st)->Int(2);
  return std::optional<SessionRecord>(std::move(s));
}

Status SqliteSessionStore::Touch(const std::string& id_hash, int64_t last_seen_at) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // MAX: several processes sharing the database each write their own last sighting.
  auto st =
      (*db)->Cached("UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id_hash = ?");
  if (!st.ok()) return st.status();
  return (*st)->Bind(1, last_seen_at).Bind(2, id_hash).Run();
}

Result<bool> SqliteSessionStore::Delete(const std::string& id_hash) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached("DELETE FROM sessions WHERE id_hash = ?");
  if (!st.ok()) return st.status();
  if (Status s = (*st)->Bind(1, id_hash).Run(); !s.ok()) return s;
  return (*db)->Changes() > 0;
}

Status SqliteSessionStore::DeleteStale(int64_t idle_cutoff, int64_t absolute_cutoff,
                                       const std::string& keep_fingerprint) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ? OR token_fingerprint <> ?");
  if (!st.ok()) return st.status();
  return (*st)->Bind(1, idle_cutoff).Bind(2, absolute_cutoff).Bind(3, keep_fingerprint).Run();
}

}  // namespace hookd
