// AdminAccess: the one check of who may use the admin API, the dashboard's data and the status
// streams (API.md, "Auth and errors"): a request with "Authorization: Bearer <admin token>" or
// with the cookie of a live session. Every transport calls it with the request's headers in an
// HttpRequest: the router for the main listener, the stream listener for the streams.
//
// A wrong bearer token counts against the client's address (web/auth_throttle.h); an address
// with too many is answered 429 before its token is looked at. A request that changes state
// with the session cookie must come from hookd's own pages (web/request_origin.h).
// Thread-safe (AdminAuth is immutable, Sessions and AuthThrottle are thread-safe).
#pragma once

#include <string>
#include <vector>

#include "common/admin_auth.h"
#include "common/http_types.h"
#include "common/status.h"
#include "web/auth_throttle.h"
#include "web/sessions.h"

namespace hookd {

class AdminAccess {
 public:
  // `origins`: the configured origins of hookd's pages besides the request's own (public URL,
  // dashboard origins).
  AdminAccess(const AdminAuth& auth, Sessions& sessions, AuthThrottle& throttle,
              std::vector<std::string> origins = {})
      : auth_(auth), sessions_(sessions), throttle_(throttle), origins_(std::move(origins)) {}

  // OK for the bearer token or a live session cookie. Otherwise 401 unauthorized, 429 for an
  // address with too many wrong tokens, 403/415 for a cross-site state change with the cookie,
  // or 503 unavailable when a session cookie could not be checked because the session store
  // failed (never let in on a failure). A session's use is recorded (its idle time restarts).
  Status Check(const HttpRequest& req) const;
  // The same check for a credential checked again while its stream stays open: a session's use
  // is not recorded, and nothing is throttled.
  Status Recheck(const HttpRequest& req) const;

 private:
  const AdminAuth& auth_;
  Sessions& sessions_;
  AuthThrottle& throttle_;
  const std::vector<std::string> origins_;
};

}  // namespace hookd
