#include "apps/portal.h"

#include <utility>

#include "apps/app_tokens.h"
#include "apps/sqlite_portal_code_store.h"
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

PortalLinks::PortalLinks(DbPool& pool, const Clock& clock, Random& random)
    : owned_(std::make_unique<SqlitePortalCodeStore>(pool)),
      store_(*owned_),
      clock_(clock),
      random_(random) {}

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
  PortalCodeRecord record{HexEncode(Sha256(code)), app_id, read_only, now, expires_at};
  if (Status s = store_.Insert(record); !s.ok()) return s;
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
  const std::string token = kAppTokenPrefix + HexEncode(random_.Bytes(32));
  AppTokenRecord record;
  record.id = NewId("tok", clock_, random_);
  record.name = "portal session";
  record.token_hash = HexEncode(Sha256(token));
  record.created_at = now;
  record.kind = "portal";
  auto session = store_.Redeem(code_hash, now, std::move(record));
  if (!session.ok()) return session.status();
  if (!*session) return InvalidCode();
  const bool read_only = (*session)->read_only;
  const int64_t expires_at = (*session)->expires_at;
  nlohmann::json app_json = {
      {"id", (*session)->app_id}, {"uid", (*session)->app_uid}, {"name", (*session)->app_name}};
  return nlohmann::json{{"token", token},
                        {"app", std::move(app_json)},
                        {"read_only", read_only},
                        {"expires_at", FormatRfc3339(expires_at)}};
}

}  // namespace hookd
