#include "web/session_routes.h"

#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "common/time_format.h"
#include "web/request_origin.h"
#include "web/session_cookie.h"

namespace hookd {
namespace {

HttpResponse WithCookie(HttpResponse r, std::string cookie) {
  r.headers.emplace_back("Set-Cookie", std::move(cookie));
  // The answer carries a credential: no cache may keep it.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// A browser request from another site's page: its Origin says so. (Requests without one are not
// a browser's cross-site requests: a cross-site POST or DELETE always carries Origin.)
Status CheckOrigin(const HttpRequest& req, const std::vector<std::string>& origins) {
  if (!req.headers.Has("origin")) return Status::Ok();
  Status s = CheckSameOriginJson(req, origins);
  return s.kind() == ErrorKind::kForbidden ? s : Status::Ok();
}

}  // namespace

void RegisterSessionRoutes(Router& router, const AdminAuth& auth, Sessions& sessions,
                           AuthThrottle& throttle, std::vector<std::string> origins,
                           bool always_secure) {
  router.Add("POST", "/api/v1/session", Access::kPublic,
             SyncHandler([&auth, &sessions, &throttle, origins, always_secure](HttpRequest& req) {
               if (Status s = CheckOrigin(req, origins); !s.ok()) return ErrorResponse(s);
               const std::string address = ClientAddress(req);
               if (Status s = throttle.Admit(address); !s.ok()) return ErrorResponse(s);
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto token = OptionalString(*body, "token");
               if (!token.ok()) return ErrorResponse(token.status());
               if (!*token || (*token)->empty() || !auth.TokenMatches(**token)) {
                 throttle.Failed(address);
                 return ErrorResponse(
                     Status::Unauthenticated("unauthorized", "the token is not the admin token"));
               }
               // A sign-in over an existing session replaces it rather than leaving it live.
               if (auto old = SessionCookieValue(req)) (void)sessions.Revoke(*old);
               auto session = sessions.Create();
               if (!session.ok()) return ErrorResponse(session.status());
               const bool secure = always_secure || ForwardedOverHttps(req);
               const int64_t max_age_seconds = sessions.options().max_age.count() / 1000;
               return WithCookie(
                   JsonResponse(200, {{"authenticated", true},
                                      {"expires_at", FormatRfc3339(session->expires_at)}}),
                   SessionSetCookie(session->value, max_age_seconds, secure));
             }));
  router.Add("DELETE", "/api/v1/session", Access::kPublic,
             SyncHandler([&sessions, origins, always_secure](HttpRequest& req) {
               if (Status s = CheckOrigin(req, origins); !s.ok()) return ErrorResponse(s);
               const bool secure = always_secure || ForwardedOverHttps(req);
               Status revoked = Status::Ok();
               if (auto value = SessionCookieValue(req)) revoked = sessions.Revoke(*value);
               // The cookie is cleared even when the store failed: the session is refused in
               // this process already, and the browser should forget it either way.
               HttpResponse r = revoked.ok() ? JsonResponse(200, {{"authenticated", false}})
                                             : ErrorResponse(revoked);
               return WithCookie(std::move(r), SessionClearCookie(secure));
             }));
}

}  // namespace hookd
