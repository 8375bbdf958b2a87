#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "ingest/routes.h"

namespace hookd {

void RegisterEventRoutes(Router& router, EventStore& store) {
  router.Add("GET", "/api/v1/events", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               auto params = ParseListParams(req);
               if (!params.ok()) return ErrorResponse(params.status());
               EventFilter filter;
               if (auto it = req.query.find("source_id"); it != req.query.end())
                 filter.source_id = it->second;
               if (auto it = req.query.find("type"); it != req.query.end())
                 filter.type = it->second;
               auto events = store.List(filter, params->after, params->limit);
               if (!events.ok()) return ErrorResponse(events.status());
               const bool more = static_cast<int>(events->size()) > params->limit;
               if (more) events->pop_back();
               nlohmann::json items = nlohmann::json::array();
               for (const Event& e : *events) items.push_back(EventJson(e, false));
               return JsonResponse(200, ListJson(std::move(items), more));
             }));
  router.Add("GET", "/api/v1/events/:id", Access::kAdmin, SyncHandler([&store](HttpRequest& req) {
               auto event = store.Get(req.params["id"]);
               if (!event.ok()) return ErrorResponse(event.status());
               return JsonResponse(200, EventJson(*event, true));
             }));
}

}  // namespace hookd
