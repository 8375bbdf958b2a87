#include "web/session_routes.h"

#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "common/time_format.h"
#include "web/session_cookie.h"

namespace hookd {
namespace {

HttpResponse WithCookie(HttpResponse r, std::string cookie) {
  r.headers.emplace_back("Set-Cookie", std::move(cookie));
  // The answer carries a credential: no cache may keep it.
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

void RegisterSessionRoutes(Router& router, const AdminAuth& auth, Sessions& sessions,
                           bool always_secure) {
  router.Add("POST", "/api/v1/session", Access::kPublic,
             SyncHandler([&auth, &sessions, always_secure](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto token = OptionalString(*body, "token");
               if (!token.ok()) return ErrorResponse(token.status());
               if (!*token || (*token)->empty() || !auth.TokenMatches(**token))
                 return ErrorResponse(
                     Status::Unauthenticated("unauthorized", "the token is not the admin token"));
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
             SyncHandler([&sessions, always_secure](HttpRequest& req) {
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
