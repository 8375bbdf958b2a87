// AdminAccess: the one check of who may use the admin API, the dashboard's data and the status
// streams (API.md, "Auth and errors"): a request with "Authorization: Bearer <admin token>" or
// with the cookie of a live session. Every transport calls it with the request's headers in an
// HttpRequest: the router for the main listener now, the stream listener later.
// Thread-safe (AdminAuth is immutable, Sessions is thread-safe).
#pragma once

#include "common/admin_auth.h"
#include "common/http_types.h"
#include "common/status.h"
#include "web/sessions.h"

namespace hookd {

class AdminAccess {
 public:
  AdminAccess(const AdminAuth& auth, Sessions& sessions) : auth_(auth), sessions_(sessions) {}

  // OK for the bearer token or a live session cookie. Otherwise 401 unauthorized, or 503
  // unavailable when a session cookie could not be checked because the session store failed
  // (never let in on a failure).
  Status Check(const HttpRequest& req) const;

 private:
  const AdminAuth& auth_;
  Sessions& sessions_;
};

}  // namespace hookd
