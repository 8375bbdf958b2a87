#include "storage/pg/pg_app_token_store.h"

#include <string_view>
#include <utility>

#include "storage/pg/pg_rows.h"

namespace hookd {

Result<bool> InsertAppToken(PgConn& conn, const AppTokenRecord& t) {
  // Under the FOR SHARE lock on the live application (storage/pg/pg_rows.h).
  auto r = conn.Exec(
      WithLiveApplication("$2") +
          " INSERT INTO app_tokens (id, app_id, name, token_hash, created_at, expires_at, kind,"
          " read_only)"
          " SELECT $1, app.id, $3, $4, $5::bigint, $6::bigint, $7, $8::bigint FROM app",
      {t.id, t.app_id, t.name, t.token_hash, t.created_at, OptionalParam(t.expires_at), t.kind,
       int64_t{t.read_only ? 1 : 0}});
  if (!r.ok()) return r.status();
  return r->Affected() > 0;
}

Status PgAppTokenStore::Insert(const AppTokenRecord& t) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto inserted = InsertAppToken(**conn, t);
  if (!inserted.ok()) return inserted.status();
  if (!*inserted) return PgNotFound("no application ", t.app_id);
  return Status::Ok();
}

Result<std::vector<AppTokenRecord>> PgAppTokenStore::List(const std::string& app_id,
                                                          const std::optional<std::string>& after,
                                                          int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // From app_tokens_app (app_id, seq). A cursor that is no token of the application's compares
  // with NULL and gives no rows, as on SQLite.
  auto r = (*conn)->Exec(
      "SELECT id, name, created_at, expires_at, revoked_at, kind, read_only FROM app_tokens"
      " WHERE app_id = $1 AND ($2::text IS NULL OR"
      " seq < (SELECT seq FROM app_tokens WHERE id = $2 AND app_id = $1))"
      " ORDER BY seq DESC LIMIT $3",
      {app_id, OptionalText(after), static_cast<int64_t>(limit) + 1});
  if (!r.ok()) return r.status();
  std::vector<AppTokenRecord> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    AppTokenRecord t;
    t.id = r->Text(row, 0);
    t.app_id = app_id;
    t.name = r->Text(row, 1);
    auto created_at = r->Int(row, 2);
    if (!created_at.ok()) return created_at.status();
    t.created_at = *created_at;
    if (Status s = ReadOptionalInt(*r, row, 3, t.expires_at); !s.ok()) return s;
    if (Status s = ReadOptionalInt(*r, row, 4, t.revoked_at); !s.ok()) return s;
    t.kind = r->Text(row, 5);
    auto read_only = r->Int(row, 6);
    if (!read_only.ok()) return read_only.status();
    t.read_only = *read_only != 0;
    out.push_back(std::move(t));
  }
  return out;
}

Status PgAppTokenStore::Revoke(const std::string& app_id, const std::string& token_id,
                               int64_t now) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // An UPDATE counts every row it matched, so revoking twice is no 404, as on SQLite.
  auto r = (*conn)->Exec(
      "UPDATE app_tokens SET revoked_at = COALESCE(revoked_at, $3::bigint)"
      " WHERE id = $1 AND app_id = $2",
      {token_id, app_id, now});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return PgNotFound("no token ", token_id);
  return Status::Ok();
}

Result<std::optional<AppCredential>> PgAppTokenStore::Find(const std::string& token_hash,
                                                           int64_t now) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT t.app_id, t.read_only FROM app_tokens t JOIN applications a ON a.id = t.app_id"
      " WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
      " AND (t.expires_at IS NULL OR t.expires_at > $2::bigint) AND a.deleted_at IS NULL",
      {token_hash, now});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<AppCredential>();
  auto read_only = r->Int(0, 1);
  if (!read_only.ok()) return read_only.status();
  return std::optional<AppCredential>(AppCredential{std::string(r->Text(0, 0)), *read_only != 0});
}

}  // namespace hookd
