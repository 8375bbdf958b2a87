#include "apps/application_row.h"

#include <nlohmann/json.hpp>

#include "common/json_limits.h"

namespace hookd {

std::string DumpApplicationMetadata(const std::map<std::string, std::string>& metadata) {
  return DumpJson(nlohmann::json(metadata));
}

std::map<std::string, std::string> ParseApplicationMetadata(std::string_view text) {
  std::map<std::string, std::string> out;
  auto metadata = nlohmann::json::parse(text, nullptr, false);
  if (metadata.is_object())
    for (const auto& [k, v] : metadata.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

void ApplyApplicationChange(Application& a, const ApplicationChange& c) {
  if (c.name) a.name = *c.name;
  if (c.uid) a.uid = *c.uid;
  if (c.metadata) a.metadata = *c.metadata;
}

Status ApplicationUidInUse(const std::string& uid) {
  std::string message = "an application with uid ";
  message += uid;
  message += " exists";
  return Status::Conflict("uid_in_use", message);
}

Status CheckApplicationUpsert(const std::string& uid, const ApplicationChange& change) {
  if (!IsValidUid(uid) || IsApplicationId(uid))
    return Status::InvalidField("uid must be 1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-'");
  if (change.uid && *change.uid != uid)
    return Status::InvalidField("the body's uid must be the path's");
  return Status::Ok();
}

Status ApplicationNameRequired() {
  return Status::InvalidField("name is required to create an application");
}

Status CheckApplicationUpdate(const Application& a, const ApplicationChange& change) {
  if (a.id == kDefaultAppId && change.uid && *change.uid != std::optional<std::string>("default"))
    return Status::Conflict("default_application", "the default application keeps its uid");
  return Status::Ok();
}

Status CheckApplicationDelete(const Application& a) {
  if (a.id == kDefaultAppId)
    return Status::Conflict("default_application", "the default application cannot be deleted");
  return Status::Ok();
}

std::string ApplicationSearchPrefix(std::string_view search) {
  std::string p;
  for (char c : search) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  p += '%';
  return p;
}

}  // namespace hookd
