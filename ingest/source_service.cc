#include "ingest/source_service.h"

#include "common/api_helpers.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "ingest/verifier.h"

namespace hookd {
namespace {

Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 200)
    return Status::InvalidField("name must be 1 to 200 characters");
  return Status::Ok();
}

constexpr int64_t kMaxToleranceSeconds = 7 * 86400;
constexpr int64_t kMaxGraceSeconds = 30 * 86400;

}  // namespace

std::string SourceService::GenerateSecret(const std::string& provider) {
  if (provider == "standard") return "whsec_" + Base64Encode(random_.Bytes(24));
  if (provider == "stripe") return "whsec_" + HexEncode(random_.Bytes(24));
  return HexEncode(random_.Bytes(32));
}

Status SourceService::ValidateSecret(const std::string& provider, const std::string& secret) const {
  if (secret.empty() || secret.size() > 1024)
    return Status::InvalidField("secret must be 1 to 1024 characters");
  if (provider == "standard") {
    std::string_view key = secret;
    if (key.starts_with("whsec_")) key.remove_prefix(6);
    auto raw = Base64Decode(key);
    if (!raw || raw->empty())
      return Status::InvalidField("a standard webhooks secret is whsec_ followed by base64");
  }
  return Status::Ok();
}

Result<Source> SourceService::Create(const nlohmann::json& req) {
  if (Status s =
          RejectUnknownFields(req, {"name", "provider", "secret", "tolerance_seconds", "app_id"});
      !s.ok())
    return s;
  auto app_id = OptionalString(req, "app_id");
  if (!app_id.ok()) return app_id.status();
  auto name = OptionalString(req, "name");
  if (!name.ok()) return name.status();
  auto provider = OptionalString(req, "provider");
  if (!provider.ok()) return provider.status();
  auto secret = OptionalString(req, "secret");
  if (!secret.ok()) return secret.status();
  auto tolerance = OptionalInt(req, "tolerance_seconds", 1, kMaxToleranceSeconds);
  if (!tolerance.ok()) return tolerance.status();

  if (!*name) return Status::InvalidField("name is required");
  if (Status s = ValidateName(**name); !s.ok()) return s;
  if (!*provider || !IsKnownProvider(**provider))
    return Status::InvalidField("provider must be one of stripe, github, standard, shopify");
  Source s;
  s.provider = **provider;
  s.secret = *secret ? **secret : GenerateSecret(s.provider);
  if (Status v = ValidateSecret(s.provider, s.secret); !v.ok()) return v;
  s.id = NewId("src", clock_, random_);
  s.name = **name;
  s.tolerance_seconds = tolerance->value_or(300);
  if (*app_id) s.app_id = **app_id;  // the store refuses one that names no live application
  s.created_at = s.updated_at = clock_.NowUnixMillis();
  if (Status st = store_.Insert(s); !st.ok()) return st;
  return s;
}

Result<Source> SourceService::Update(const std::string& id, const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"name", "tolerance_seconds"}); !s.ok()) {
    if (req.contains("secret"))
      return Status::InvalidField("change the secret with POST /api/v1/sources/{id}/rotate-secret");
    if (req.contains("provider")) return Status::InvalidField("the provider cannot be changed");
    return s;
  }
  auto name = OptionalString(req, "name");
  if (!name.ok()) return name.status();
  auto tolerance = OptionalInt(req, "tolerance_seconds", 1, kMaxToleranceSeconds);
  if (!tolerance.ok()) return tolerance.status();
  if (*name)
    if (Status s = ValidateName(**name); !s.ok()) return s;
  auto source = store_.Get(id);
  if (!source.ok()) return source.status();
  if (*name) source->name = **name;
  if (*tolerance) source->tolerance_seconds = **tolerance;
  source->updated_at = clock_.NowUnixMillis();
  if (Status s = store_.Update(*source); !s.ok()) return s;
  cache_.Invalidate(id);
  return source;
}

Result<Source> SourceService::RotateSecret(const std::string& id, const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"secret", "grace_seconds"}); !s.ok()) return s;
  auto secret = OptionalString(req, "secret");
  if (!secret.ok()) return secret.status();
  auto grace = OptionalInt(req, "grace_seconds", 0, kMaxGraceSeconds);
  if (!grace.ok()) return grace.status();
  auto source = store_.Get(id);
  if (!source.ok()) return source.status();
  const std::string next = *secret ? **secret : GenerateSecret(source->provider);
  if (Status v = ValidateSecret(source->provider, next); !v.ok()) return v;
  const int64_t now = clock_.NowUnixMillis();
  if (Status s = AddPreviousSecret(source->previous_secrets, source->secret,
                                   now + grace->value_or(86400) * 1000, now);
      !s.ok())
    return s;
  source->secret = next;
  source->updated_at = now;
  if (Status s = store_.Update(*source); !s.ok()) return s;
  cache_.Invalidate(id);
  return source;
}

Status SourceService::Delete(const std::string& id) {
  Status s = store_.Delete(id);
  if (s.ok()) cache_.Invalidate(id);
  return s;
}

}  // namespace hookd
