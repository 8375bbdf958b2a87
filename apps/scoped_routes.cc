#include "apps/scoped_routes.h"

#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "deliver/routes.h"

namespace hookd {

AppScope ScopeOf(ApplicationRepository& apps) {
  return [&apps](HttpRequest& req) -> Result<std::optional<std::string>> {
    auto id = apps.Resolve(req.params["app"]);
    // An application token reaches its own application only; another one, known or not, is
    // refused alike, so the token learns nothing of what else exists.
    if (req.principal_app && (!id.ok() || *id != *req.principal_app))
      return Status(ErrorKind::kForbidden, "forbidden",
                    "an application token reaches only its own application");
    if (!id.ok()) return id.status();
    return std::optional<std::string>(*id);
  };
}

void RegisterScopedRoutes(Router& router, ApplicationRepository& apps, EndpointService& endpoints,
                          MessageService& messages) {
  const AppScope scope = ScopeOf(apps);
  RegisterEndpointRoutes(router, endpoints, "/api/v1/apps/:app", scope);
  RegisterMessageRoutes(router, messages, "/api/v1/apps/:app", scope);
}

void RegisterTokenRoutes(Router& router, ApplicationRepository& apps, AppTokens& tokens) {
  auto app_of = [&apps](HttpRequest& req) { return apps.Resolve(req.params["app"]); };
  router.Add("POST", "/api/v1/apps/:app/tokens", Access::kAdmin,
             SyncHandler([app_of, &tokens](HttpRequest& req) {
               auto app = app_of(req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto made = tokens.Create(*app, *body);
               if (!made.ok()) return ErrorResponse(made.status());
               return JsonResponse(201, *made);
             }));
  router.Add("GET", "/api/v1/apps/:app/tokens", Access::kAdmin,
             SyncHandler([app_of, &tokens](HttpRequest& req) {
               auto app = app_of(req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               auto list = tokens.List(*app, params->after, params->limit);
               if (!list.ok()) return ErrorResponse(list.status());
               return JsonResponse(200, *list);
             }));
  router.Add("DELETE", "/api/v1/apps/:app/tokens/:id", Access::kAdmin,
             SyncHandler([app_of, &tokens](HttpRequest& req) {
               auto app = app_of(req);
               if (!app.ok()) return ErrorResponse(app.status());
               if (Status s = tokens.Revoke(*app, req.params["id"]); !s.ok())
                 return ErrorResponse(s);
               HttpResponse r;
               r.status = 204;
               return r;
             }));
}

}  // namespace hookd
