#include "common/api_helpers.h"
#include "common/db.h"
#include "common/http_errors.h"
#include "web/overview.h"

namespace hookd {

void RegisterOverviewRoutes(Router& router, DbPool& pool, const Clock& clock) {
  router.Add("GET", "/api/v1/overview", Access::kAdmin, SyncHandler([&pool, &clock](HttpRequest&) {
               auto db = pool.Acquire();
               if (!db.ok()) return ErrorResponse(db.status());
               OverviewOptions options;
               options.now_ms = clock.NowUnixMillis();
               auto overview = ReadOverview(**db, options);
               if (!overview.ok()) return ErrorResponse(overview.status());
               return JsonResponse(200, *overview);
             }));
}

}  // namespace hookd
