#include "apps/app_tokens.h"

#include <utility>

#include "apps/sqlite_app_token_store.h"

#include "common/api_helpers.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/time_format.h"

namespace hookd {
namespace {

constexpr int64_t kMinExpiresIn = 60;
constexpr int64_t kMaxExpiresIn = 10LL * 365 * 24 * 3600;

nlohmann::json OptionalTime(const std::optional<int64_t>& t) {
  return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(nullptr);
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

AppTokens::AppTokens(DbPool& pool, const Clock& clock, Random& random)
    : owned_store_(std::make_unique<SqliteAppTokenStore>(pool)),
      store_(*owned_store_),
      clock_(clock),
      random_(random) {}

Result<nlohmann::json> AppTokens::Create(const std::string& app_id, const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"name", "expires_in"}); !s.ok()) return s;
  auto name = OptionalString(req, "name");
  if (!name.ok()) return name.status();
  if (*name && (*name)->size() > 100) return Status::InvalidField("name is at most 100 bytes");
  auto expires_in = OptionalInt(req, "expires_in", kMinExpiresIn, kMaxExpiresIn);
  if (!expires_in.ok()) return expires_in.status();
  const int64_t now = clock_.NowUnixMillis();
  AppTokenRecord record;
  record.id = NewId("tok", clock_, random_);
  const std::string token = kAppTokenPrefix + HexEncode(random_.Bytes(32));
  record.app_id = app_id;
  record.name = name->value_or("");
  record.token_hash = HexEncode(Sha256(token));
  record.created_at = now;
  if (*expires_in) record.expires_at = now + **expires_in * 1000;
  if (Status s = store_.Insert(record); !s.ok()) return s;
  return nlohmann::json{{"id", record.id},
                        {"token", token},
                        {"name", record.name},
                        {"created_at", FormatRfc3339(now)},
                        {"expires_at", OptionalTime(record.expires_at)}};
}

Result<nlohmann::json> AppTokens::List(const std::string& app_id,
                                       const std::optional<std::string>& after, int limit) {
  auto rows = store_.List(app_id, after, limit);
  if (!rows.ok()) return rows.status();
  nlohmann::json items = nlohmann::json::array();
  const bool more = static_cast<int>(rows->size()) > limit;
  if (more) rows->resize(static_cast<size_t>(limit));
  for (const AppTokenRecord& t : *rows) {
    items.push_back(nlohmann::json{{"id", t.id},
                                   {"name", t.name},
                                   {"created_at", FormatRfc3339(t.created_at)},
                                   {"expires_at", OptionalTime(t.expires_at)},
                                   {"revoked_at", OptionalTime(t.revoked_at)},
                                   {"kind", t.kind},
                                   {"read_only", t.read_only}});
  }
  return ListJson(std::move(items), more);
}

Status AppTokens::Revoke(const std::string& app_id, const std::string& token_id) {
  return store_.Revoke(app_id, token_id, clock_.NowUnixMillis());
}

Result<AppCredential> AppTokens::Authenticate(std::string_view token) {
  if (token.rfind(kAppTokenPrefix, 0) != 0) return Unauthorized();
  // Looked up by its digest: the token itself is never compared, so timing says nothing of it.
  auto credential = store_.Find(HexEncode(Sha256(token)), clock_.NowUnixMillis());
  if (!credential.ok()) return credential.status();
  if (!*credential) return Unauthorized();
  return std::move(**credential);
}

}  // namespace hookd
