// The browser session's routes (API.md, "Auth and errors"). POST /api/v1/session {"token"} checks
// the admin token and answers with a cookie naming a new server-side session (web/sessions.h):
// HttpOnly, SameSite=Strict, Max-Age the absolute limit, and Secure when the request came over
// HTTPS (X-Forwarded-Proto) or `always_secure` is set. DELETE /api/v1/session revokes the session
// its cookie names and clears the cookie. Thread-safe (AdminAuth is immutable, Sessions is
// thread-safe); both must outlive the router.
#pragma once

#include "common/admin_auth.h"
#include "common/router.h"
#include "web/sessions.h"

namespace hookd {

void RegisterSessionRoutes(Router& router, const AdminAuth& auth, Sessions& sessions,
                           bool always_secure);

}  // namespace hookd
