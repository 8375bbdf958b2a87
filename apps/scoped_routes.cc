#include "apps/scoped_routes.h"

#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "deliver/routes.h"

namespace hookd {
namespace {

// The application `{app}` names, or the error to answer (404 for an unknown or deleted one).
Result<std::string> AppOf(ApplicationStore& apps, HttpRequest& req) {
  return apps.Resolve(req.params["app"]);
}

// 404 for an endpoint of another application, worded as for an unknown one.
Result<Endpoint> Owned(Result<Endpoint> e, const std::string& app_id, const std::string& id) {
  if (e.ok() && e->app_id != app_id) return Status::NotFound("no endpoint " + id);
  return e;
}

}  // namespace

void RegisterScopedRoutes(Router& router, ApplicationStore& apps, EndpointService& endpoints,
                          MessageService& messages) {
  router.Add("POST", "/api/v1/apps/:app/endpoints", Access::kAdmin,
             SyncHandler([&apps, &endpoints](HttpRequest& req) {
               auto app = AppOf(apps, req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               std::vector<EndpointWarning> warnings;
               auto e = endpoints.Create(*body, &warnings, *app);
               return EndpointChangedResponse(201, e, warnings);
             }));
  router.Add("GET", "/api/v1/apps/:app/endpoints", Access::kAdmin,
             SyncHandler([&apps, &endpoints](HttpRequest& req) {
               auto app = AppOf(apps, req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               auto list = endpoints.List(params->after, params->limit, *app);
               if (!list.ok()) return ErrorResponse(list.status());
               const bool more = static_cast<int>(list->size()) > params->limit;
               if (more) list->pop_back();
               nlohmann::json items = nlohmann::json::array();
               for (const Endpoint& e : *list) items.push_back(EndpointJson(e));
               return JsonResponse(200, ListJson(std::move(items), more));
             }));
  router.Add("GET", "/api/v1/apps/:app/endpoints/:id", Access::kAdmin,
             SyncHandler([&apps, &endpoints](HttpRequest& req) {
               auto app = AppOf(apps, req);
               if (!app.ok()) return ErrorResponse(app.status());
               const std::string& id = req.params["id"];
               auto e = Owned(endpoints.Get(id), *app, id);
               if (!e.ok()) return ErrorResponse(e.status());
               return JsonResponse(200, EndpointJson(*e));
             }));
  // Answered from the messages writer after the group commit (202), as the unscoped route.
  router.Add("POST", "/api/v1/apps/:app/messages", Access::kAdmin,
             AsyncHandler([&apps, &messages](HttpRequest& req, Reply reply) {
               auto app = AppOf(apps, req);
               if (!app.ok()) return reply(ErrorResponse(app.status()));
               auto body = ParseJsonObject(req);
               if (!body.ok()) return reply(ErrorResponse(body.status()));
               std::optional<std::string> key;
               if (auto k = req.headers.Get("idempotency-key")) key = std::string(*k);
               messages.Publish(
                   *body, key,
                   [reply = std::move(reply)](Result<nlohmann::json> r) {
                     reply(r.ok() ? JsonResponse(202, *r) : ErrorResponse(r.status()));
                   },
                   *app);
             }));
}

}  // namespace hookd
