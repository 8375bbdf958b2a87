#include "apps/event_types.h"

#include "apps/scoped_routes.h"
#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "common/time_format.h"

namespace hookd {

Result<nlohmann::json> ListEventTypes(EventTypeRepository& types,
                                      const std::optional<std::string>& app_id,
                                      const std::optional<std::string>& after, int limit) {
  auto rows = types.List(app_id, after, limit);
  if (!rows.ok()) return rows.status();
  nlohmann::json data = nlohmann::json::array();
  const bool more = static_cast<int>(rows->size()) > limit;
  for (const EventTypeSeen& t : *rows) {
    if (static_cast<int>(data.size()) == limit) break;
    data.push_back(nlohmann::json{{"event_type", t.event_type},
                                  {"count", t.count},
                                  {"last_seen", FormatRfc3339(t.last_seen)}});
  }
  // The cursor is the last type shown (types are the key here, not ids).
  nlohmann::json next = more ? data.back()["event_type"] : nlohmann::json(nullptr);
  return nlohmann::json{{"data", std::move(data)}, {"next", std::move(next)}};
}

void RegisterEventTypeRoutes(Router& router, EventTypeRepository& types,
                             ApplicationRepository& apps) {
  auto list = [&types](HttpRequest& req, const std::optional<std::string>& app_id) {
    auto params = ParseListParams(req);
    if (!params.ok()) return ErrorResponse(params.status());
    auto page = ListEventTypes(types, app_id, params->after, params->limit);
    if (!page.ok()) return ErrorResponse(page.status());
    return JsonResponse(200, *page);
  };
  router.Add("GET", "/api/v1/event-types", Access::kAdmin,
             SyncHandler([list](HttpRequest& req) { return list(req, std::nullopt); }));
  router.Add("GET", "/api/v1/apps/:app/event-types", Access::kApp,
             SyncHandler([list, scope = ScopeOf(apps)](HttpRequest& req) {
               auto app = AppOf(scope, req);
               if (!app.ok()) return ErrorResponse(app.status());
               return list(req, *app);
             }));
}

}  // namespace hookd
