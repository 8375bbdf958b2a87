#include "apps/event_types.h"

#include "apps/scoped_routes.h"
#include "common/api_helpers.h"
#include "common/http_errors.h"
#include "common/list_page.h"
#include "common/time_format.h"

namespace hookd {

Result<nlohmann::json> ListEventTypes(Db& db, const std::optional<std::string>& app_id,
                                      const std::optional<std::string>& after, int limit) {
  // One application's from the primary key; all of them through event_types_type, grouped.
  auto st = db.Cached(
      app_id ? "SELECT event_type, count, last_seen FROM event_types WHERE app_id = ?1"
               " AND (?2 IS NULL OR event_type > ?2) ORDER BY event_type LIMIT ?3"
             : "SELECT event_type, SUM(count), MAX(last_seen) FROM event_types"
               " WHERE (?2 IS NULL OR event_type > ?2) GROUP BY event_type ORDER BY event_type"
               " LIMIT ?3");
  if (!st.ok()) return st.status();
  if (app_id) (*st)->Bind(1, *app_id);
  if (after) (*st)->Bind(2, *after);
  (*st)->Bind(3, static_cast<int64_t>(limit) + 1);
  auto page = ReadPage(**st, limit, [](const Stmt& row) {
    return nlohmann::json{{"event_type", row.Text(0)},
                          {"count", row.Int(1)},
                          {"last_seen", FormatRfc3339(row.Int(2))}};
  });
  if (!page.ok()) return page.status();
  // The cursor is the last type shown (types are the key here, not ids).
  nlohmann::json next = page->more ? page->items.back()["event_type"] : nlohmann::json(nullptr);
  return nlohmann::json{{"data", std::move(page->items)}, {"next", std::move(next)}};
}

void RegisterEventTypeRoutes(Router& router, DbPool& pool, ApplicationRepository& apps) {
  auto list = [&pool](HttpRequest& req, const std::optional<std::string>& app_id) {
    auto params = ParseListParams(req);
    if (!params.ok()) return ErrorResponse(params.status());
    auto db = pool.Acquire();
    if (!db.ok()) return ErrorResponse(db.status());
    auto types = ListEventTypes(**db, app_id, params->after, params->limit);
    if (!types.ok()) return ErrorResponse(types.status());
    return JsonResponse(200, *types);
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
