// AppTokens: bearer tokens limited to one application (API.md, "Applications (tenants)").
// A token is "hkd_app_" and 64 hex digits of randomness, shown once at creation; only its
// SHA-256 is stored. Every check reads the database (one indexed row), so a revocation or an
// application's deletion refuses the token on its next request, in every process.
// Thread-safe (one pooled connection per call).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/db.h"
#include "common/http_types.h"
#include "common/random.h"

namespace hookd {

inline constexpr char kAppTokenPrefix[] = "hkd_app_";

// The bearer token of "Authorization: Bearer hkd_app_…", or nullopt for any other header.
std::optional<std::string> AppBearerToken(const HttpRequest& req);

// What an application token grants: its application, and whether only reading (a read-only
// portal session).
struct AppCredential {
  std::string app_id;
  bool read_only = false;
};

class AppTokens {
 public:
  AppTokens(DbPool& pool, const Clock& clock, Random& random)
      : pool_(pool), clock_(clock), random_(random) {}

  // {"name"? (at most 100 bytes), "expires_in"? (seconds, 60 to 10 years)} →
  // {"id": "tok_…", "token", "name", "created_at", "expires_at"}: the only time the token is seen.
  Result<nlohmann::json> Create(const std::string& app_id, const nlohmann::json& req);
  // {"data": [...], "next"}: the application's tokens without their secret, newest first, with
  // their kind ("token", or "portal" for a portal session) and read_only.
  Result<nlohmann::json> List(const std::string& app_id, const std::optional<std::string>& after,
                              int limit);
  // Revokes at once; 404 for a token of another application, as for an unknown one.
  Status Revoke(const std::string& app_id, const std::string& token_id);
  // What `token` grants: 401 unauthorized when it is unknown, revoked, expired, or its
  // application is deleted.
  Result<AppCredential> Authenticate(std::string_view token);

 private:
  DbPool& pool_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace hookd
