#include "apps/portal.h"

#include "apps/app_tokens.h"
#include "common/api_helpers.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/time_format.h"

namespace hookd {
namespace {

Status InvalidCode() {
  return Status(ErrorKind::kUnauthenticated, "invalid_code",
                "this portal link is unknown, expired or was already used; ask for a new one");
}

}  // namespace

Result<nlohmann::json> PortalLinks::CreateLink(const std::string& app_id, const nlohmann::json& req,
                                               const std::string& base) {
  if (Status s = RejectUnknownFields(req, {"expires_in", "read_only"}); !s.ok()) return s;
  auto expires_in = OptionalInt(req, "expires_in", 1, kPortalMaxExpiresIn);
  if (!expires_in.ok()) return expires_in.status();
  bool read_only = false;
  if (auto it = req.find("read_only"); it != req.end()) {
    if (!it->is_boolean()) return Status::InvalidField("read_only must be true or false");
    read_only = it->get<bool>();
  }
  const int64_t now = clock_.NowUnixMillis();
  const int64_t expires_at = now + expires_in->value_or(kPortalDefaultExpiresIn) * 1000;
  const std::string code = HexEncode(random_.Bytes(32));
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Best effort: a code past its expiry can never be traded.
  if (auto old = (*db)->Cached("DELETE FROM portal_codes WHERE expires_at <= ?"); old.ok())
    (void)(*old)->Bind(1, now).Run();
  auto st = (*db)->Cached(
      "INSERT INTO portal_codes (code_hash, app_id, read_only, created_at, expires_at)"
      " SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS"
      " (SELECT 1 FROM applications WHERE id = ?2 AND deleted_at IS NULL)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, HexEncode(Sha256(code))).Bind(2, app_id);
  (*st)->Bind(3, static_cast<int64_t>(read_only ? 1 : 0)).Bind(4, now).Bind(5, expires_at);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no application " + app_id);
  return nlohmann::json{{"url", base + "/portal/#" + code},
                        {"expires_at", FormatRfc3339(expires_at)},
                        {"read_only", read_only}};
}

Result<nlohmann::json> PortalLinks::Exchange(const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"code"}); !s.ok()) return s;
  auto code = OptionalString(req, "code");
  if (!code.ok()) return code.status();
  if (!*code || (*code)->empty() || (*code)->size() > 256)
    return Status::InvalidField("code is required: the part of the portal link after '#'");
  const int64_t now = clock_.NowUnixMillis();
  const std::string code_hash = HexEncode(Sha256(**code));
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // A code that cannot be traded is refused from a read: a flood of guesses never takes the
  // write lock the publishers and the delivery engine need.
  auto live = (*db)->Cached(
      "SELECT 1 FROM portal_codes WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2");
  if (!live.ok()) return live.status();
  auto found_live = (*live)->Bind(1, code_hash).Bind(2, now).Step();
  if (!found_live.ok()) return found_live.status();
  (*live)->Reset();
  if (!*found_live) return InvalidCode();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  // Marking it used is what decides: of two requests with one code, one gets a row here.
  auto use = (*db)->Cached(
      "UPDATE portal_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL"
      " AND expires_at > ?2 RETURNING app_id, read_only, expires_at");
  if (!use.ok()) return use.status();
  auto row = (*use)->Bind(1, code_hash).Bind(2, now).Step();
  if (!row.ok()) return row.status();
  if (!*row) return InvalidCode();
  const std::string app_id = (*use)->Text(0);
  const bool read_only = (*use)->Int(1) != 0;
  const int64_t expires_at = (*use)->Int(2);
  if (Status s = (*use)->Run(); !s.ok()) return s;
  auto app =
      (*db)->Cached("SELECT uid, name FROM applications WHERE id = ? AND deleted_at IS NULL");
  if (!app.ok()) return app.status();
  auto found = (*app)->Bind(1, app_id).Step();
  if (!found.ok()) return found.status();
  if (!*found) return InvalidCode();  // the application was deleted since the link was made
  nlohmann::json app_json = {{"id", app_id}, {"uid", (*app)->Text(0)}, {"name", (*app)->Text(1)}};
  (*app)->Reset();
  const std::string token = kAppTokenPrefix + HexEncode(random_.Bytes(32));
  auto ins = (*db)->Cached(
      "INSERT INTO app_tokens (id, app_id, name, token_hash, created_at, expires_at, kind,"
      " read_only) VALUES (?, ?, 'portal session', ?, ?, ?, 'portal', ?)");
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, NewId("tok", clock_, random_)).Bind(2, app_id);
  (*ins)->Bind(3, HexEncode(Sha256(token))).Bind(4, now).Bind(5, expires_at);
  (*ins)->Bind(6, static_cast<int64_t>(read_only ? 1 : 0));
  if (Status s = (*ins)->Run(); !s.ok()) return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return nlohmann::json{{"token", token},
                        {"app", std::move(app_json)},
                        {"read_only", read_only},
                        {"expires_at", FormatRfc3339(expires_at)}};
}

}  // namespace hookd
