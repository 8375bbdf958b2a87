// AdminAuth: the admin bearer token (API.md, "Auth and errors").
//
// The token comes from HOOKD_ADMIN_TOKEN; if that is unset, it is read from <data-dir>/admin_token,
// or generated there (mode 0600) on first start. Check() compares in constant time.
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

  // OK for "Authorization: Bearer <token>" or the session cookie; 401 unauthorized otherwise.
  Status Check(const HttpRequest& req) const;

  // The session cookie's value: HMAC-SHA256(token, "hookd-session") in hex. It is derived, not
  // stored, so it survives restarts, ends when the token changes and never reveals the token.
  const std::string& session_value() const { return session_value_; }
  // True when `token` is the admin token (constant time).
  bool TokenMatches(std::string_view token) const;

  static constexpr std::string_view kCookieName = "hookd_session";
  const std::string& token() const { return token_; }
  // True when Load generated the token just now (so it should be printed once).
  bool generated() const { return generated_; }

 private:
  std::string token_;
  std::string token_digest_;  // SHA-256 of the token: compare digests, so lengths never leak
  std::string session_value_;
  bool generated_ = false;
};

}  // namespace hookd
