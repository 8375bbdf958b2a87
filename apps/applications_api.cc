#include "apps/routes.h"

#include "common/api_helpers.h"
#include "common/http_errors.h"

namespace hookd {
namespace {

HttpResponse AppResponse(int status, const Result<Application>& a) {
  if (!a.ok()) return ErrorResponse(a.status());
  return JsonResponse(status, ApplicationJson(*a));
}

// Runs `call` on the request's body read as an ApplicationChange.
template <typename Call>
HttpResponse WithChange(HttpRequest& req, Call call) {
  auto body = ParseJsonObject(req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto change = ParseApplicationChange(*body);
  if (!change.ok()) return ErrorResponse(change.status());
  return call(*change);
}

}  // namespace

void RegisterApplicationRoutes(Router& router, ApplicationRepository& store) {
  router.Add("POST", "/api/v1/apps", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               return WithChange(req, [&](const ApplicationChange& c) {
                 return AppResponse(201, store.Create(c));
               });
             }));
  router.Add("GET", "/api/v1/apps", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               std::optional<std::string> search;
               if (auto it = req.query.find("search"); it != req.query.end() && !it->second.empty())
                 search = it->second;
               auto list = store.List(search, params->after, params->limit);
               if (!list.ok()) return ErrorResponse(list.status());
               const bool more = static_cast<int>(list->size()) > params->limit;
               if (more) list->pop_back();
               nlohmann::json items = nlohmann::json::array();
               for (const Application& a : *list) items.push_back(ApplicationJson(a));
               return JsonResponse(200, ListJson(std::move(items), more));
             }));
  router.Add("GET", "/api/v1/apps/:app", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               return AppResponse(200, store.Get(req.params["app"]));
             }));
  router.Add("PUT", "/api/v1/apps/:app", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               return WithChange(req, [&](const ApplicationChange& c) {
                 auto r = store.Upsert(req.params["app"], c);
                 if (!r.ok()) return ErrorResponse(r.status());
                 return JsonResponse(r->second ? 201 : 200, ApplicationJson(r->first));
               });
             }));
  router.Add("PATCH", "/api/v1/apps/:app", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               return WithChange(req, [&](const ApplicationChange& c) {
                 return AppResponse(200, store.Update(req.params["app"], c));
               });
             }));
  router.Add("DELETE", "/api/v1/apps/:app", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               if (Status s = store.Delete(req.params["app"]); !s.ok()) return ErrorResponse(s);
               HttpResponse r;
               r.status = 204;
               r.content_type.clear();
               return r;
             }));
}

}  // namespace hookd
