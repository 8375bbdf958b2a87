// AdminAuth: the admin bearer token (API.md, "Auth and errors").
//
// The token comes from HOOKD_ADMIN_TOKEN; if that is unset, it is read from <data-dir>/admin_token,
// or generated there (mode 0600) on first start. A token read from the file must pass
// common/token_strength.h; HOOKD_ADMIN_TOKEN is checked where settings are parsed
// (app/settings.cc), so `configured` is taken as given. Comparisons are in constant time. Browser
// sessions are web/sessions.h; web/admin_access.h accepts either.
// Immutable after construction; thread-safe.
#pragma once

#include <string>

#include "common/http_types.h"
#include "common/random.h"
#include "common/result.h"

namespace hookd {

class AdminAuth {
 public:
  explicit AdminAuth(std::string token);

  // `configured` is HOOKD_ADMIN_TOKEN (empty when unset).
  static Result<AdminAuth> Load(const std::string& configured, const std::string& data_dir,
                                Random& random);

  // OK for "Authorization: Bearer <token>"; 401 unauthorized otherwise.
  Status CheckBearer(const HttpRequest& req) const;
  // True when `token` is the admin token (constant time).
  bool TokenMatches(std::string_view token) const;

  const std::string& token() const { return token_; }
  // True when Load generated the token just now (so it should be printed once).
  bool generated() const { return generated_; }

 private:
  std::string token_;
  std::string token_digest_;  // SHA-256 of the token: compare digests, so lengths never leak
  bool generated_ = false;
};

}  // namespace hookd
