#include "web/admin_access.h"

#include "web/request_origin.h"
#include "web/session_cookie.h"

namespace hookd {

Status AdminAccess::Check(const HttpRequest& req) const {
  // The bearer token is checked first: it needs no store, so API clients keep working when the
  // session store is down.
  Status bearer = Status::Ok();
  if (req.headers.Has("authorization")) {
    const std::string address = ClientAddress(req);
    if (Status admit = throttle_.Admit(address); !admit.ok()) return admit;
    bearer = auth_.CheckBearer(req);
    if (bearer.ok()) return bearer;
    throttle_.Failed(address);
  }
  if (auto value = SessionCookieValue(req)) {
    if (Status s = sessions_.Validate(*value); !s.ok()) return s;
    if (IsSafeMethod(req.method)) return Status::Ok();
    return CheckSameOriginJson(req, origins_);
  }
  return bearer.ok() ? auth_.CheckBearer(req) : bearer;
}

Status AdminAccess::Recheck(const HttpRequest& req) const {
  if (Status bearer = auth_.CheckBearer(req); bearer.ok()) return bearer;
  if (auto value = SessionCookieValue(req)) return sessions_.Validate(*value, /*record_use=*/false);
  return auth_.CheckBearer(req);
}

}  // namespace hookd
