#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "ingest/routes.h"
#include "ingest/source_service.h"

namespace hookd {
namespace {

HttpResponse SourceResponse(int status, const Result<Source>& s) {
  if (!s.ok()) return ErrorResponse(s.status());
  return JsonResponse(status, SourceJson(*s));
}

}  // namespace

void RegisterSourceRoutes(Router& router, SourceStore& store, SourceCache& cache,
                          const Clock& clock, Random& random) {
  // The service lives as long as the router's handlers that share it.
  auto svc = std::make_shared<SourceService>(store, cache, clock, random);

  router.Add("POST", "/api/v1/sources", Access::kAdmin, SyncHandler([svc](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               return SourceResponse(201, svc->Create(*body));
             }));
  router.Add("GET", "/api/v1/sources", Access::kAdmin, SyncHandler([svc](HttpRequest& req) {
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               auto sources = svc->List(params->after, params->limit);
               if (!sources.ok()) return ErrorResponse(sources.status());
               const bool more = static_cast<int>(sources->size()) > params->limit;
               if (more) sources->pop_back();
               nlohmann::json items = nlohmann::json::array();
               for (const Source& s : *sources) items.push_back(SourceJson(s));
               return JsonResponse(200, ListJson(std::move(items), more));
             }));
  router.Add("GET", "/api/v1/sources/:id", Access::kAdmin, SyncHandler([svc](HttpRequest& req) {
               return SourceResponse(200, svc->Get(req.params["id"]));
             }));
  router.Add("PATCH", "/api/v1/sources/:id", Access::kAdmin, SyncHandler([svc](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               return SourceResponse(200, svc->Update(req.params["id"], *body));
             }));
  router.Add("DELETE", "/api/v1/sources/:id", Access::kAdmin, SyncHandler([svc](HttpRequest& req) {
               const std::string& id = req.params["id"];
               if (Status s = svc->Delete(id); !s.ok()) return ErrorResponse(s);
               return JsonResponse(200, {{"id", id}, {"deleted", true}});
             }));
  router.Add("POST", "/api/v1/sources/:id/rotate-secret", Access::kAdmin,
             SyncHandler([svc](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               return SourceResponse(200, svc->RotateSecret(req.params["id"], *body));
             }));
}

}  // namespace hookd
