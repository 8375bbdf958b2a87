#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "common/time_format.h"
#include "deliver/routes.h"

namespace hookd {
namespace {

HttpResponse EndpointResponse(int status, const Result<Endpoint>& e) {
  if (!e.ok()) return ErrorResponse(e.status());
  return JsonResponse(status, EndpointJson(*e));
}

// A route on one endpoint: resolves the scope, checks that the endpoint `:id` is the scope's
// (404 otherwise, worded as for an unknown id), then answers `call(req, id)`.
template <typename Call>
SyncHandler OnEndpoint(EndpointService& svc, AppScope scope, Call call) {
  return [&svc, scope = std::move(scope), call](HttpRequest& req) {
    auto app = AppOf(scope, req);
    if (!app.ok()) return ErrorResponse(app.status());
    const std::string id = req.params["id"];
    if (*app) {
      auto e = svc.Get(id);
      if (!e.ok()) return ErrorResponse(e.status());
      if (e->app_id != **app) return ErrorResponse(Status::NotFound("no endpoint " + id));
    }
    return call(req, id);
  };
}

// The same for a route that takes a JSON body and answers the endpoint.
template <typename Call>
SyncHandler OnEndpointWithBody(EndpointService& svc, AppScope scope, int status, Call call) {
  return OnEndpoint(svc, std::move(scope), [status, call](HttpRequest& req, const std::string& id) {
    auto body = ParseJsonObject(req);
    if (!body.ok()) return ErrorResponse(body.status());
    return EndpointResponse(status, call(id, *body));
  });
}

}  // namespace

HttpResponse EndpointChangedResponse(int status, const Result<Endpoint>& e,
                                     const std::vector<EndpointWarning>& warnings) {
  if (!e.ok()) return ErrorResponse(e.status());
  nlohmann::json body = EndpointJson(*e);
  body["warnings"] = nlohmann::json::array();
  for (const EndpointWarning& w : warnings)
    body["warnings"].push_back({{"code", w.code}, {"message", w.message}});
  return JsonResponse(status, body);
}

void RegisterEndpointRoutes(Router& router, EndpointService& svc, const std::string& prefix,
                            const AppScope& scope) {
  // The scoped routes also take an application token limited to their application.
  const Access access = scope ? Access::kApp : Access::kAdmin;
  const std::string base = prefix + "/endpoints";
  router.Add("POST", base, access, SyncHandler([&svc, scope](HttpRequest& req) {
               auto app = AppOf(scope, req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               std::vector<EndpointWarning> warnings;
               auto e = svc.Create(*body, &warnings, app->value_or(kDefaultAppId));
               return EndpointChangedResponse(201, e, warnings);
             }));
  router.Add("GET", base, access, SyncHandler([&svc, scope](HttpRequest& req) {
               auto app = AppOf(scope, req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               // The unscoped list is every application's, filterable by app_id.
               std::optional<std::string> app_id = *app;
               if (auto it = req.query.find("app_id");
                   !app_id && it != req.query.end() && !it->second.empty())
                 app_id = it->second;
               auto list = svc.List(params->after, params->limit, app_id);
               if (!list.ok()) return ErrorResponse(list.status());
               const bool more = static_cast<int>(list->size()) > params->limit;
               if (more) list->pop_back();
               nlohmann::json items = nlohmann::json::array();
               for (const Endpoint& e : *list) items.push_back(EndpointJson(e));
               return JsonResponse(200, ListJson(std::move(items), more));
             }));
  router.Add("GET", base + "/:id", access,
             OnEndpoint(svc, scope, [&svc](HttpRequest&, const std::string& id) {
               return EndpointResponse(200, svc.Get(id));
             }));
  router.Add("PATCH", base + "/:id", access,
             OnEndpoint(svc, scope, [&svc](HttpRequest& req, const std::string& id) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               std::vector<EndpointWarning> warnings;
               auto e = svc.Update(id, *body, &warnings);
               return EndpointChangedResponse(200, e, warnings);
             }));
  router.Add("DELETE", base + "/:id", access,
             OnEndpoint(svc, scope, [&svc](HttpRequest&, const std::string& id) {
               if (Status s = svc.Delete(id); !s.ok()) return ErrorResponse(s);
               return JsonResponse(200, {{"id", id}, {"deleted", true}});
             }));
  router.Add(
      "POST", base + "/:id/rotate-secret", access,
      OnEndpointWithBody(svc, scope, 200, [&svc](const std::string& id, const nlohmann::json& b) {
        return svc.RotateSecret(id, b);
      }));
  router.Add(
      "POST", base + "/:id/enable", access,
      OnEndpointWithBody(svc, scope, 200, [&svc](const std::string& id, const nlohmann::json&) {
        return svc.Enable(id);
      }));
  router.Add(
      "POST", base + "/:id/disable", access,
      OnEndpointWithBody(svc, scope, 200, [&svc](const std::string& id, const nlohmann::json&) {
        return svc.Disable(id, "disabled by an operator");
      }));
  router.Add("POST", base + "/:id/recover", access,
             OnEndpoint(svc, scope, [&svc](HttpRequest& req, const std::string& id) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto n = svc.Recover(id, *body);
               if (!n.ok()) return ErrorResponse(n.status());
               nlohmann::json out = {{"requeued", *n}};
               // While the circuit is not closed the attempts wait for it: the answer says so.
               if (auto e = svc.Get(id); e.ok() && e->circuit != "closed") {
                 out["circuit"] = e->circuit;
                 out["circuit_retry_at"] = e->circuit_retry_at
                                               ? nlohmann::json(FormatRfc3339(*e->circuit_retry_at))
                                               : nlohmann::json(nullptr);
               }
               return JsonResponse(202, out);
             }));
}

}  // namespace hookd
