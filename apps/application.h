// An application (API.md, "Applications (tenants)"): one customer of the deployment, owning its
// endpoints, messages, deliveries and sources. `uid` is the caller's own id for it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/default_app.h"
#include "common/result.h"

namespace hookd {

struct Application {
  std::string id;  // app_...
  std::optional<std::string> uid;
  std::string name;
  std::map<std::string, std::string> metadata;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// What a create, an upsert or a PATCH asks for; absent members are left as they are.
struct ApplicationChange {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> uid;  // set to a uid, or (null) removed
  std::optional<std::map<std::string, std::string>> metadata;
};

// Reads a request body: {"name", "uid"?, "metadata"?}. 422 invalid_field for an unknown member, a
// name that is empty or over 256 bytes, a uid not of [A-Za-z0-9._-]{1,64} or that looks like an
// application id (app_...), metadata that is not an object of at most 50 string values.
Result<ApplicationChange> ParseApplicationChange(const nlohmann::json& body);

// True for a uid of [A-Za-z0-9._-]{1,64}.
bool IsValidUid(std::string_view uid);

nlohmann::json ApplicationJson(const Application& app);

}  // namespace hookd
