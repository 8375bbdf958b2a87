// The browser session (API.md, "Auth and errors"): POST /api/v1/session {"token"} sets an
// HttpOnly, SameSite=Strict cookie that the dashboard and its streams use instead of the bearer
// token; DELETE /api/v1/session clears it. Thread-safe (reads the immutable AdminAuth).
#pragma once

#include "common/admin_auth.h"
#include "common/router.h"

namespace hookd {

void RegisterSessionRoutes(Router& router, const AdminAuth& auth);

}  // namespace hookd
