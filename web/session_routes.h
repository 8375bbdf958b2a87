// The browser session's routes (API.md, "Auth and errors"). POST /api/v1/session {"token"} checks
// the admin token and answers with a cookie naming a new server-side session (web/sessions.h):
// HttpOnly, SameSite=Strict, Max-Age the absolute limit, and Secure when the request came over
// HTTPS (X-Forwarded-Proto) or `always_secure` is set. DELETE /api/v1/session revokes the session
// its cookie names and clears the cookie. A wrong token counts against the client's address and
// an address with too many is answered 429 (web/auth_throttle.h); a request with the Origin of
// another site is refused 403 (web/request_origin.h; `origins` are the configured ones).
// Thread-safe (AdminAuth is immutable, Sessions and AuthThrottle are thread-safe); all must
// outlive the router.
#pragma once

#include <string>
#include <vector>

#include "common/admin_auth.h"
#include "common/router.h"
#include "web/auth_throttle.h"
#include "web/sessions.h"

namespace hookd {

void RegisterSessionRoutes(Router& router, const AdminAuth& auth, Sessions& sessions,
                           AuthThrottle& throttle, std::vector<std::string> origins,
                           bool always_secure);

}  // namespace hookd
