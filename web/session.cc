#include "web/session.h"

#include "common/api_helpers.h"
#include "common/http_errors.h"

namespace hookd {
namespace {

HttpResponse WithCookie(HttpResponse r, const std::string& value, bool clear) {
  std::string cookie =
      std::string(AdminAuth::kCookieName) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (clear) cookie += "; Max-Age=0";
  r.headers.emplace_back("Set-Cookie", cookie);
  return r;
}

}  // namespace

void RegisterSessionRoutes(Router& router, const AdminAuth& auth) {
  router.Add("POST", "/api/v1/session", Access::kPublic, SyncHandler([&auth](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto token = OptionalString(*body, "token");
               if (!token.ok()) return ErrorResponse(token.status());
               if (!*token || !auth.TokenMatches(**token))
                 return ErrorResponse(
                     Status::Unauthenticated("unauthorized", "the token is not the admin token"));
               return WithCookie(JsonResponse(200, {{"authenticated", true}}), auth.session_value(),
                                 false);
             }));
  router.Add("DELETE", "/api/v1/session", Access::kPublic, SyncHandler([](HttpRequest&) {
               return WithCookie(JsonResponse(200, {{"authenticated", false}}), "", true);
             }));
}

}  // namespace hookd
