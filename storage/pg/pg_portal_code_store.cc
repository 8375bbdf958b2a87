#include "storage/pg/pg_portal_code_store.h"

#include <utility>

#include "storage/pg/pg_app_token_store.h"
#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_retry.h"
#include "storage/pg/pg_rows.h"

namespace hookd {

Status PgPortalCodeStore::Insert(const PortalCodeRecord& c) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // Best effort: a code past its expiry can never be traded.
  (void)(*conn)->Exec("DELETE FROM portal_codes WHERE expires_at <= $1::bigint", {c.created_at});
  // Under the FOR SHARE lock on the live application (storage/pg/pg_rows.h).
  auto r = (*conn)->Exec(
      WithLiveApplication("$2") +
          " INSERT INTO portal_codes (code_hash, app_id, read_only, created_at, expires_at)"
          " SELECT $1, app.id, $3::bigint, $4::bigint, $5::bigint FROM app",
      {c.code_hash, c.app_id, int64_t{c.read_only ? 1 : 0}, c.created_at, c.expires_at});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return PgNotFound("no application ", c.app_id);
  return Status::Ok();
}

Result<std::optional<PortalSession>> PgPortalCodeStore::Redeem(const std::string& code_hash,
                                                               int64_t now, AppTokenRecord token) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  PgConn& c = **conn;
  return RetryPgTransaction([&]() -> Result<std::optional<PortalSession>> {
    auto txn = PgTransaction::Begin(c);
    if (!txn.ok()) return txn.status();
    // Marking it used is what decides: of two nodes with one code, the second UPDATE waits for
    // the first's row lock and, under READ COMMITTED, checks used_at again once it commits.
    auto used = c.Exec(
        "UPDATE portal_codes SET used_at = $2::bigint WHERE code_hash = $1 AND used_at IS NULL"
        " AND expires_at > $2::bigint RETURNING app_id, read_only, expires_at",
        {code_hash, now});
    if (!used.ok()) return used.status();
    if (used->rows() == 0) return std::optional<PortalSession>();
    PortalSession session;
    session.app_id = used->Text(0, 0);
    auto read_only = used->Int(0, 1);
    if (!read_only.ok()) return read_only.status();
    session.read_only = *read_only != 0;
    auto expires_at = used->Int(0, 2);
    if (!expires_at.ok()) return expires_at.status();
    session.expires_at = *expires_at;
    auto app =
        c.Exec("SELECT uid, name FROM applications WHERE id = $1 AND deleted_at IS NULL FOR SHARE",
               {session.app_id});
    if (!app.ok()) return app.status();
    // The application was deleted since the link was made: the rollback leaves the code unused.
    if (app->rows() == 0) return std::optional<PortalSession>();
    session.app_uid = app->Text(0, 0);
    session.app_name = app->Text(0, 1);
    AppTokenRecord t = token;
    t.app_id = session.app_id;
    t.expires_at = session.expires_at;
    t.read_only = session.read_only;
    t.kind = "portal";
    auto inserted = InsertAppToken(c, t);
    if (!inserted.ok()) return inserted.status();
    if (!*inserted) return std::optional<PortalSession>();
    if (Status s = (*txn)->Commit(); !s.ok()) return s;
    return std::optional<PortalSession>(std::move(session));
  });
}

}  // namespace hookd
