#include "web/admin_access.h"

#include "web/session_cookie.h"

namespace hookd {

Status AdminAccess::Check(const HttpRequest& req) const {
  Status bearer = auth_.CheckBearer(req);
  if (bearer.ok()) return bearer;
  // The bearer token is checked first: it needs no store, so API clients keep working when the
  // session store is down.
  if (auto value = SessionCookieValue(req)) return sessions_.Validate(*value);
  return bearer;
}

}  // namespace hookd
