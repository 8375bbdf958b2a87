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

}  // namespace

void RegisterMessageRoutes(Router& router, MessageService& svc) {
  // Answered from the messages writer after the group commit (202), or at once with an error.
  router.Add("POST", "/api/v1/messages", Access::kAdmin,
             AsyncHandler([&svc](HttpRequest& req, Reply reply) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return reply(ErrorResponse(body.status()));
               std::optional<std::string> key;
               if (auto k = req.headers.Get("idempotency-key")) key = std::string(*k);
               svc.Publish(*body, key, [reply = std::move(reply)](Result<nlohmann::json> r) {
                 reply(Json(202, r));
               });
             }));
  router.Add("GET", "/api/v1/messages", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               MessageFilter f{Query(req, "event_type"), Query(req, "event_id")};
               return Json(200, svc.List(f, params->after, params->limit));
             }));
  router.Add("GET", "/api/v1/messages/:id", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
               return Json(200, svc.Get(req.params["id"]));
             }));
  router.Add(
      "GET", "/api/v1/deliveries", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
        auto params = ParseListParams(req);
        if (!params.ok()) return ErrorResponse(params.status());
        DeliveryFilter f{Query(req, "status"), Query(req, "endpoint_id"), Query(req, "message_id")};
        return Json(200, svc.ListDeliveries(f, params->after, params->limit));
      }));
  router.Add("GET", "/api/v1/deliveries/:id", Access::kAdmin, SyncHandler([&svc](HttpRequest& req) {
               return Json(200, svc.GetDelivery(req.params["id"]));
             }));
  router.Add("POST", "/api/v1/deliveries/:id/retry", Access::kAdmin,
             SyncHandler([&svc](HttpRequest& req) {
               return Json(202, svc.RetryDelivery(req.params["id"]));
             }));
}

}  // namespace hookd
