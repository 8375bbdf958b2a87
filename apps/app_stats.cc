#include "apps/app_stats.h"

#include <map>

#include "apps/scoped_routes.h"
#include "common/http_errors.h"
#include "common/time_format.h"

namespace hookd {
namespace {

// Steps `st` (newest first, column 0 created_at) until a row is older than `since`, calling
// `row` for each newer one.
template <typename Row>
Status Newest(Stmt& st, int64_t since, Row row) {
  while (true) {
    auto r = st.Step();
    if (!r.ok()) {
      st.Reset();
      return r.status();
    }
    // Times and insertion order agree up to a commit's delay ("Retention"): stopping at the
    // first older row can miss a row committed a moment late, never count one twice.
    if (!*r || st.Int(0) < since) break;
    row(st);
  }
  st.Reset();
  return Status::Ok();
}

}  // namespace

Result<nlohmann::json> AppStats(Db& db, const std::string& app_id, int64_t now_ms,
                                std::chrono::milliseconds window) {
  const int64_t since = now_ms - window.count();
  auto messages = db.Cached("SELECT created_at FROM messages WHERE app_id = ? ORDER BY seq DESC");
  if (!messages.ok()) return messages.status();
  int64_t message_count = 0;
  (*messages)->Bind(1, app_id);
  if (Status s = Newest(**messages, since, [&](const Stmt&) { ++message_count; }); !s.ok())
    return s;
  auto deliveries =
      db.Cached("SELECT created_at, status FROM deliveries WHERE app_id = ? ORDER BY seq DESC");
  if (!deliveries.ok()) return deliveries.status();
  std::map<std::string, int64_t> by_status = {
      {"pending", 0}, {"retrying", 0}, {"succeeded", 0}, {"failed", 0}};
  (*deliveries)->Bind(1, app_id);
  if (Status s = Newest(**deliveries, since, [&](const Stmt& st) { ++by_status[st.Text(1)]; });
      !s.ok())
    return s;
  return nlohmann::json{
      {"since", FormatRfc3339(since)}, {"messages", message_count}, {"deliveries", by_status}};
}

void RegisterAppStatsRoute(Router& router, DbPool& pool, ApplicationRepository& apps,
                           const Clock& clock) {
  router.Add("GET", "/api/v1/apps/:app/stats", Access::kApp,
             SyncHandler([&pool, &clock, scope = ScopeOf(apps)](HttpRequest& req) {
               auto app = AppOf(scope, req);
               if (!app.ok()) return ErrorResponse(app.status());
               auto db = pool.Acquire();
               if (!db.ok()) return ErrorResponse(db.status());
               auto stats = AppStats(**db, **app, clock.NowUnixMillis());
               if (!stats.ok()) return ErrorResponse(stats.status());
               return JsonResponse(200, *stats);
             }));
}

}  // namespace hookd
