// AppTokens: bearer tokens limited to one application (API.md, "Applications (tenants)").
// A token is "hkd_app_" and 64 hex digits of randomness, shown once at creation; only its
// SHA-256 is stored. Every check reads the database (one indexed row; nothing is cached), so a
// revocation or an application's deletion refuses the token on its next request, in every process
// and on every node sharing a PostgreSQL. The rows are an AppTokenRepository's (SQLite's or
// PostgreSQL's); this class makes, checks and shows them. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/app_token_repository.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/http_types.h"
#include "common/random.h"

namespace hookd {

inline constexpr char kAppTokenPrefix[] = "hkd_app_";

// The bearer token of "Authorization: Bearer hkd_app_…", or nullopt for any other header.
std::optional<std::string> AppBearerToken(const HttpRequest& req);

class AppTokens {
 public:
  // On SQLite, through the pool.
  AppTokens(DbPool& pool, const Clock& clock, Random& random);
  // Over any engine's store, which must outlive this.
  AppTokens(AppTokenRepository& store, const Clock& clock, Random& random)
      : store_(store), clock_(clock), random_(random) {}

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
  std::unique_ptr<AppTokenRepository> owned_store_;  // the SQLite one, when made from a pool
  AppTokenRepository& store_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace hookd
