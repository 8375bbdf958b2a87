#include "apps/sqlite_app_token_store.h"

namespace hookd {
namespace {

std::optional<int64_t> OptionalInt(const Stmt& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return st.Int(col);
}

}  // namespace

Status SqliteAppTokenStore::Insert(const AppTokenRecord& t) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Only for a live application: one deleted meanwhile gets no token.
  auto st = (*db)->Cached(
      "INSERT INTO app_tokens (id, app_id, name, token_hash, created_at, expires_at, kind,"
      " read_only)"
      " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS"
      " (SELECT 1 FROM applications WHERE id = ?2 AND deleted_at IS NULL)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, t.id).Bind(2, t.app_id).Bind(3, t.name);
  (*st)->Bind(4, t.token_hash).Bind(5, t.created_at);
  if (t.expires_at)
    (*st)->Bind(6, *t.expires_at);
  else
    (*st)->BindNull(6);
  (*st)->Bind(7, t.kind).Bind(8, int64_t{t.read_only ? 1 : 0});
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no application " + t.app_id);
  return Status::Ok();
}

Result<std::vector<AppTokenRecord>> SqliteAppTokenStore::List(
    const std::string& app_id, const std::optional<std::string>& after, int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT id, name, created_at, expires_at, revoked_at, kind, read_only FROM app_tokens"
      " WHERE app_id = ?1"
      " AND (?2 IS NULL OR seq < (SELECT seq FROM app_tokens WHERE id = ?2 AND app_id = ?1))"
      " ORDER BY seq DESC LIMIT ?3");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, app_id);
  if (after) (*st)->Bind(2, *after);
  (*st)->Bind(3, static_cast<int64_t>(limit) + 1);
  std::vector<AppTokenRecord> out;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) {
      (*st)->Reset();
      return row.status();
    }
    if (!*row) break;
    AppTokenRecord t;
    t.id = (*st)->Text(0);
    t.app_id = app_id;
    t.name = (*st)->Text(1);
    t.created_at = (*st)->Int(2);
    t.expires_at = OptionalInt(**st, 3);
    t.revoked_at = OptionalInt(**st, 4);
    t.kind = (*st)->Text(5);
    t.read_only = (*st)->Int(6) != 0;
    out.push_back(std::move(t));
  }
  (*st)->Reset();
  return out;
}

Status SqliteAppTokenStore::Revoke(const std::string& app_id, const std::string& token_id,
                                   int64_t now) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "UPDATE app_tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE id = ?1 AND app_id = ?2");
  if (!st.ok()) return st.status();
  if (Status s = (*st)->Bind(1, token_id).Bind(2, app_id).Bind(3, now).Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no token " + token_id);
  return Status::Ok();
}

Result<std::optional<AppCredential>> SqliteAppTokenStore::Find(const std::string& token_hash,
                                                               int64_t now) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT t.app_id, t.read_only FROM app_tokens t JOIN applications a ON a.id = t.app_id"
      " WHERE t.token_hash = ?1 AND t.revoked_at IS NULL"
      " AND (t.expires_at IS NULL OR t.expires_at > ?2) AND a.deleted_at IS NULL");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, token_hash).Bind(2, now).Step();
  if (!row.ok()) {
    (*st)->Reset();
    return row.status();
  }
  std::optional<AppCredential> credential;
  if (*row) credential = AppCredential{(*st)->Text(0), (*st)->Int(1) != 0};
  (*st)->Reset();
  return credential;
}

}  // namespace hookd
