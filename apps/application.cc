#include "apps/application.h"

#include "common/api_helpers.h"
#include "common/time_format.h"

namespace hookd {
namespace {

constexpr size_t kMaxName = 256;
constexpr size_t kMaxMetadata = 50;
constexpr size_t kMaxMetadataKey = 64;
constexpr size_t kMaxMetadataValue = 1024;

}  // namespace

bool IsValidUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (char c : uid) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<ApplicationChange> ParseApplicationChange(const nlohmann::json& body) {
  if (Status s = RejectUnknownFields(body, {"name", "uid", "metadata"}); !s.ok()) return s;
  ApplicationChange c;
  if (auto it = body.find("name"); it != body.end()) {
    if (!it->is_string()) return Status::InvalidField("name must be a string");
    const std::string name = it->get<std::string>();
    if (name.empty() || name.size() > kMaxName)
      return Status::InvalidField("name must be 1 to 256 bytes");
    c.name = name;
  }
  if (auto it = body.find("uid"); it != body.end()) {
    if (it->is_null()) {
      c.uid = std::optional<std::string>();
    } else {
      if (!it->is_string()) return Status::InvalidField("uid must be a string or null");
      const std::string uid = it->get<std::string>();
      if (!IsValidUid(uid))
        return Status::InvalidField("uid must be 1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-'");
      // {app} in a path is an id or a uid: a uid that looks like an id would be ambiguous.
      if (uid.rfind("app_", 0) == 0) return Status::InvalidField("uid must not start with app_");
      c.uid = uid;
    }
  }
  if (auto it = body.find("metadata"); it != body.end()) {
    if (!it->is_object()) return Status::InvalidField("metadata must be an object of strings");
    if (it->size() > kMaxMetadata) return Status::InvalidField("metadata holds at most 50 keys");
    std::map<std::string, std::string> metadata;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string())
        return Status::InvalidField("metadata." + k.substr(0, kMaxMetadataKey) +
                                    " must be a string");
      if (k.empty() || k.size() > kMaxMetadataKey)
        return Status::InvalidField("metadata keys must be 1 to 64 bytes");
      if (v.get_ref<const std::string&>().size() > kMaxMetadataValue)
        return Status::InvalidField("metadata." + k + " is over 1024 bytes");
      metadata[k] = v.get<std::string>();
    }
    c.metadata = std::move(metadata);
  }
  return c;
}

nlohmann::json ApplicationJson(const Application& app) {
  return {{"id", app.id},
          {"uid", app.uid ? nlohmann::json(*app.uid) : nlohmann::json(nullptr)},
          {"name", app.name},
          {"metadata", app.metadata},
          {"created_at", FormatRfc3339(app.created_at)},
          {"updated_at", FormatRfc3339(app.updated_at)}};
}

}  // namespace hookd
