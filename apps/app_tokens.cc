#include "apps/app_tokens.h"

#include "common/api_helpers.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/list_page.h"
#include "common/time_format.h"

namespace hookd {
namespace {

constexpr int64_t kMinExpiresIn = 60;
constexpr int64_t kMaxExpiresIn = 10LL * 365 * 24 * 3600;

nlohmann::json OptionalTime(const Stmt& st, int col) {
  return st.IsNull(col) ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(st.Int(col)));
}

Status Unauthorized() {
  return Status::Unauthenticated("unauthorized", "unknown, revoked or expired application token");
}

}  // namespace

std::optional<std::string> AppBearerToken(const HttpRequest& req) {
  auto h = req.headers.Get("authorization");
  if (!h) return std::nullopt;
  constexpr std::string_view kBearer = "Bearer ";
  if (h->size() <= kBearer.size() || !EqualsIgnoreCase(h->substr(0, kBearer.size()), kBearer))
    return std::nullopt;
  std::string_view token = h->substr(kBearer.size());
  if (token.rfind(kAppTokenPrefix, 0) != 0) return std::nullopt;
  return std::string(token);
}

Result<nlohmann::json> AppTokens::Create(const std::string& app_id, const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"name", "expires_in"}); !s.ok()) return s;
  auto name = OptionalString(req, "name");
  if (!name.ok()) return name.status();
  if (*name && (*name)->size() > 100) return Status::InvalidField("name is at most 100 bytes");
  auto expires_in = OptionalInt(req, "expires_in", kMinExpiresIn, kMaxExpiresIn);
  if (!expires_in.ok()) return expires_in.status();
  const int64_t now = clock_.NowUnixMillis();
  const std::string id = NewId("tok", clock_, random_);
  const std::string token = kAppTokenPrefix + HexEncode(random_.Bytes(32));
  std::optional<int64_t> expires_at;
  if (*expires_in) expires_at = now + **expires_in * 1000;
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Only for a live application: one deleted meanwhile gets no token.
  auto st = (*db)->Cached(
      "INSERT INTO app_tokens (id, app_id, name, token_hash, created_at, expires_at)"
      " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS"
      " (SELECT 1 FROM applications WHERE id = ?2 AND deleted_at IS NULL)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id).Bind(2, app_id).Bind(3, name->value_or(""));
  (*st)->Bind(4, HexEncode(Sha256(token))).Bind(5, now);
  if (expires_at)
    (*st)->Bind(6, *expires_at);
  else
    (*st)->BindNull(6);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no application " + app_id);
  return nlohmann::json{
      {"id", id},
      {"token", token},
      {"name", name->value_or("")},
      {"created_at", FormatRfc3339(now)},
      {"expires_at", expires_at ? nlohmann::json(FormatRfc3339(*expires_at)) : nullptr}};
}

Result<nlohmann::json> AppTokens::List(const std::string& app_id,
                                       const std::optional<std::string>& after, int limit) {
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
  auto page = ReadPage(**st, limit, [](const Stmt& row) {
    return nlohmann::json{{"id", row.Text(0)},
                          {"name", row.Text(1)},
                          {"created_at", FormatRfc3339(row.Int(2))},
                          {"expires_at", OptionalTime(row, 3)},
                          {"revoked_at", OptionalTime(row, 4)},
                          {"kind", row.Text(5)},
                          {"read_only", row.Int(6) != 0}};
  });
  if (!page.ok()) return page.status();
  return ListJson(std::move(page->items), page->more);
}

Status AppTokens::Revoke(const std::string& app_id, const std::string& token_id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "UPDATE app_tokens SET revoked_at = COALESCE(revoked_at, ?3) WHERE id = ?1 AND app_id = ?2");
  if (!st.ok()) return st.status();
  if (Status s = (*st)->Bind(1, token_id).Bind(2, app_id).Bind(3, clock_.NowUnixMillis()).Run();
      !s.ok())
    return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no token " + token_id);
  return Status::Ok();
}

Result<AppCredential> AppTokens::Authenticate(std::string_view token) {
  if (token.rfind(kAppTokenPrefix, 0) != 0) return Unauthorized();
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Looked up by its digest: the token itself is never compared, so timing says nothing of it.
  auto st = (*db)->Cached(
      "SELECT t.app_id, t.read_only FROM app_tokens t JOIN applications a ON a.id = t.app_id"
      " WHERE t.token_hash = ?1 AND t.revoked_at IS NULL"
      " AND (t.expires_at IS NULL OR t.expires_at > ?2) AND a.deleted_at IS NULL");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, HexEncode(Sha256(token))).Bind(2, clock_.NowUnixMillis()).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Unauthorized();
  AppCredential credential{(*st)->Text(0), (*st)->Int(1) != 0};
  (*st)->Reset();
  return credential;
}

}  // namespace hookd
