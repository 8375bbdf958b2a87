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

// Runs `call` on the request's JSON body, answering its endpoint.
template <typename Call>
SyncHandler WithBody(int status, Call call) {
  return [status, call](HttpRequest& req) {
    auto body = ParseJsonObject(req);
    if (!body.ok()) return ErrorResponse(body.status());
    return EndpointResponse(status, call(req, *body));
  };
}

}  // namespace

// The endpoint a create or an update made, with the request's `warnings` (always present in
// these answers, empty when there are none: an answer's shape does not depend on DNS).
HttpResponse EndpointChangedResponse(int status, const Result<Endpoint>& e,
                                     const std::vector<EndpointWarning>& warnings) {
  if (!e.ok()) return ErrorResponse(e.status());
  nlohmann::json body = EndpointJson(*e);
  body["warnings"] = nlohmann::json::array();
  for (const EndpointWarning& w : warnings)
    body["warnings"].push_back({{"code", w.code}, {"message", w.message}});
  return JsonResponse(status, body);
}

void RegisterEndpointRoutes(Router& router, EndpointService& svc) {
  router.Add("POST", "/api/v1/endpoints", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               std::vector<EndpointWarning> warnings;
               auto e = svc.Create(*body, &warnings);
               return EndpointChangedResponse(201, e, warnings);
             }));
  router.Add("GET", "/api/v1/endpoints", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               std::optional<std::string> app_id;
               if (auto it = req.query.find("app_id"); it != req.query.end() && !it->second.empty())
                 app_id = it->second;
               auto list = svc.List(params->after, params->limit, app_id);
               if (!list.ok()) return ErrorResponse(list.status());
               const bool more = static_cast<int>(list->size()) > params->limit;
               if (more) list->pop_back();
               nlohmann::json items = nlohmann::json::array();
               for (const Endpoint& e : *list) items.push_back(EndpointJson(e));
               return JsonResponse(200, ListJson(std::move(items), more));
             }));
  router.Add("GET", "/api/v1/endpoints/:id", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
               return EndpointResponse(200, svc.Get(req.params["id"]));
             }));
  router.Add("PATCH", "/api/v1/endpoints/:id", Access::kAdmin,
             SyncHandler([&svc](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               std::vector<EndpointWarning> warnings;
               auto e = svc.Update(req.params["id"], *body, &warnings);
               return EndpointChangedResponse(200, e, warnings);
             }));
  router.Add("DELETE", "/api/v1/endpoints/:id", Access::kAdmin,
             SyncHandler([&svc](HttpRequest& req) {
               const std::string& id = req.params["id"];
               if (Status s = svc.Delete(id); !s.ok()) return ErrorResponse(s);
               return JsonResponse(200, {{"id", id}, {"deleted", true}});
             }));
  router.Add("POST", "/api/v1/endpoints/:id/rotate-secret", Access::kAdmin,
             WithBody(200, [&svc](HttpRequest& req, const nlohmann::json& b) {
               return svc.RotateSecret(req.params["id"], b);
             }));
  router.Add("POST", "/api/v1/endpoints/:id/enable", Access::kAdmin,
             WithBody(200, [&svc](HttpRequest& req, const nlohmann::json&) {
               return svc.Enable(req.params["id"]);
             }));
  router.Add("POST", "/api/v1/endpoints/:id/disable", Access::kAdmin,
             WithBody(200, [&svc](HttpRequest& req, const nlohmann::json&) {
               return svc.Disable(req.params["id"], "disabled by an operator");
             }));
  router.Add("POST", "/api/v1/endpoints/:id/recover", Access::kAdmin,
             SyncHandler([&svc](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto n = svc.Recover(req.params["id"], *body);
               if (!n.ok()) return ErrorResponse(n.status());
               nlohmann::json out = {{"requeued", *n}};
               // While the circuit is not closed the attempts wait for it: the answer says so.
               if (auto e = svc.Get(req.params["id"]); e.ok() && e->circuit != "closed") {
                 out["circuit"] = e->circuit;
                 out["circuit_retry_at"] = e->circuit_retry_at
                                               ? nlohmann::json(FormatRfc3339(*e->circuit_retry_at))
                                               : nlohmann::json(nullptr);
               }
               return JsonResponse(202, out);
             }));
}

}  // namespace hookd
