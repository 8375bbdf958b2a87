#include "apps/sqlite_portal_code_store.h"

#include <utility>

namespace hookd {

Status SqlitePortalCodeStore::Insert(const PortalCodeRecord& c) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Best effort: a code past its expiry can never be traded.
  if (auto old = (*db)->Cached("DELETE FROM portal_codes WHERE expires_at <= ?"); old.ok())
    (void)(*old)->Bind(1, c.created_at).Run();
  auto st = (*db)->Cached(
      "INSERT INTO portal_codes (code_hash, app_id, read_only, created_at, expires_at)"
      " SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS"
      " (SELECT 1 FROM applications WHERE id = ?2 AND deleted_at IS NULL)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, c.code_hash).Bind(2, c.app_id);
  (*st)->Bind(3, static_cast<int64_t>(c.read_only ? 1 : 0)).Bind(4, c.created_at);
  (*st)->Bind(5, c.expires_at);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no application " + c.app_id);
  return Status::Ok();
}

Result<std::optional<PortalSession>> SqlitePortalCodeStore::Redeem(const std::string& code_hash,
                                                                   int64_t now,
                                                                   AppTokenRecord token) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto live = (*db)->Cached(
      "SELECT 1 FROM portal_codes WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2");
  if (!live.ok()) return live.status();
  auto found_live = (*live)->Bind(1, code_hash).Bind(2, now).Step();
  if (!found_live.ok()) return found_live.status();
  (*live)->Reset();
  if (!*found_live) return std::optional<PortalSession>();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  // Marking it used is what decides: of two requests with one code, one gets a row here.
  auto use = (*db)->Cached(
      "UPDATE portal_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL"
      " AND expires_at > ?2 RETURNING app_id, read_only, expires_at");
  if (!use.ok()) return use.status();
  auto row = (*use)->Bind(1, code_hash).Bind(2, now).Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    (*use)->Reset();
    return std::optional<PortalSession>();
  }
  PortalSession session;
  session.app_id = (*use)->Text(0);
  session.read_only = (*use)->Int(1) != 0;
  session.expires_at = (*use)->Int(2);
  if (Status s = (*use)->Run(); !s.ok()) return s;
  auto app =
      (*db)->Cached("SELECT uid, name FROM applications WHERE id = ? AND deleted_at IS NULL");
  if (!app.ok()) return app.status();
  auto found = (*app)->Bind(1, session.app_id).Step();
  if (!found.ok()) return found.status();
  if (!*found) {
    // The application was deleted since the link was made; the rollback leaves the code as it was.
    (*app)->Reset();
    return std::optional<PortalSession>();
  }
  session.app_uid = (*app)->Text(0);
  session.app_name = (*app)->Text(1);
  (*app)->Reset();
  auto ins = (*db)->Cached(
      "INSERT INTO app_tokens (id, app_id, name, token_hash, created_at, expires_at, kind,"
      " read_only) VALUES (?, ?, ?, ?, ?, ?, 'portal', ?)");
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, token.id).Bind(2, session.app_id).Bind(3, token.name);
  (*ins)->Bind(4, token.token_hash).Bind(5, token.created_at).Bind(6, session.expires_at);
  (*ins)->Bind(7, static_cast<int64_t>(session.read_only ? 1 : 0));
  if (Status s = (*ins)->Run(); !s.ok()) return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return std::optional<PortalSession>(std::move(session));
}

}  // namespace hookd
