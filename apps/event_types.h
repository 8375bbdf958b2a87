// The event types seen (API.md, "Applications (tenants)"): GET /api/v1/event-types (admin, every
// application's together) and GET /api/v1/apps/{app}/event-types (one application's), each
// {"data": [{"event_type", "count", "last_seen"}], "next"}, in type order, `after` a type.
// Read from the event_types table fan-out keeps (migrations/0017_event_types.sql).
#pragma once

#include "apps/application_repository.h"
#include "common/db.h"
#include "common/router.h"

namespace hookd {

// `app_id` empty: every application's, their counts added.
Result<nlohmann::json> ListEventTypes(Db& db, const std::optional<std::string>& app_id,
                                      const std::optional<std::string>& after, int limit);

void RegisterEventTypeRoutes(Router& router, DbPool& pool, ApplicationRepository& apps);

}  // namespace hookd
