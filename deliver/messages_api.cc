#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "deliver/routes.h"

namespace hookd {
namespace {

HttpResponse Json(int status, const Result<nlohmann::json>& r) {
  if (!r.ok()) return ErrorResponse(r.status());
  return JsonResponse(status, *r);
}

std::optional<std::string> Query(const HttpRequest& req, const char* name) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// The scope's application, or for the unscoped lists the app_id the query asks for.
std::optional<std::string> ListedApp(const std::optional<std::string>& scope,
                                     const HttpRequest& req) {
  return scope ? scope : Query(req, "app_id");
}

// Resolves the scope, then answers `call(req, app)`.
template <typename Call>
SyncHandler Scoped(AppScope scope, Call call) {
  return [scope = std::move(scope), call](HttpRequest& req) {
    auto app = AppOf(scope, req);
    if (!app.ok()) return ErrorResponse(app.status());
    return call(req, *app);
  };
}

}  // namespace

void RegisterMessageRoutes(Router& router, MessageService& svc, const std::string& prefix,
                           const AppScope& scope) {
  // The scoped routes also take an application token limited to their application.
  const Access access = scope ? Access::kApp : Access::kAdmin;
  // Answered from the messages writer after the group commit (202), or at once with an error.
  router.Add("POST", prefix + "/messages", access,
             AsyncHandler([&svc, scope](HttpRequest& req, Reply reply) {
               auto app = AppOf(scope, req);
               if (!app.ok()) return reply(ErrorResponse(app.status()));
               auto body = ParseJsonObject(req);
               if (!body.ok()) return reply(ErrorResponse(body.status()));
               std::optional<std::string> key;
               if (auto k = req.headers.Get("idempotency-key")) key = std::string(*k);
               svc.Publish(
                   *body, key,
                   [reply = std::move(reply)](Result<nlohmann::json> r) { reply(Json(202, r)); },
                   app->value_or(kDefaultAppId));
             }));
  router.Add(
      "GET", prefix + "/messages", access,
      Scoped(scope, [&svc](HttpRequest& req, const std::optional<std::string>& app) {
        auto params = ParseListParams(req);
        if (!params.ok()) return ErrorResponse(params.status());
        MessageFilter f{Query(req, "event_type"), Query(req, "event_id"), ListedApp(app, req)};
        return Json(200, svc.List(f, params->after, params->limit));
      }));
  router.Add("GET", prefix + "/messages/:id", access,
             Scoped(scope, [&svc](HttpRequest& req, const std::optional<std::string>& app) {
               return Json(200, svc.Get(req.params["id"], app));
             }));
  router.Add("GET", prefix + "/deliveries", access,
             Scoped(scope, [&svc](HttpRequest& req, const std::optional<std::string>& app) {
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               DeliveryFilter f{Query(req, "status"), Query(req, "endpoint_id"),
                                Query(req, "message_id"), ListedApp(app, req)};
               return Json(200, svc.ListDeliveries(f, params->after, params->limit));
             }));
  router.Add("GET", prefix + "/deliveries/:id", access,
             Scoped(scope, [&svc](HttpRequest& req, const std::optional<std::string>& app) {
               return Json(200, svc.GetDelivery(req.params["id"], app));
             }));
  router.Add("POST", prefix + "/endpoints/:id/test", access,
             Scoped(scope, [&svc](HttpRequest& req, const std::optional<std::string>& app) {
               auto body = req.body.empty() ? Result<nlohmann::json>(nlohmann::json::object())
                                            : ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               return Json(202, svc.SendTest(req.params["id"], *body, app));
             }));
  router.Add("POST", prefix + "/deliveries/:id/retry", access,
             Scoped(scope, [&svc](HttpRequest& req, const std::optional<std::string>& app) {
               return Json(202, svc.RetryDelivery(req.params["id"], app));
             }));
}

}  // namespace hookd
