// AppScope: how a route finds the application it serves. The unscoped admin routes serve every
// application (the scope is empty, or answers nullopt); the routes under /api/v1/apps/{app}/
// serve the one their path names, and answer 404 for an unknown or deleted one (API.md,
// "Applications (tenants)"). An id of another application is then 404 as an unknown id.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/http_types.h"
#include "common/result.h"

namespace hookd {

using AppScope = std::function<Result<std::optional<std::string>>(HttpRequest&)>;

// The application `scope` names for `req`: nullopt for every application.
inline Result<std::optional<std::string>> AppOf(const AppScope& scope, HttpRequest& req) {
  if (!scope) return std::optional<std::string>();
  return scope(req);
}

}  // namespace hookd
