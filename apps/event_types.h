// The event types seen (API.md, "Applications (tenants)"): GET /api/v1/event-types (admin, every
// application's together) and GET /api/v1/apps/{app}/event-types (one application's), each
// {"data": [{"event_type", "count", "last_seen"}], "next"}, in type order, `after` a type.
// Read through an EventTypeRepository (apps/event_type_repository.h).
#pragma once

#include "apps/application_repository.h"
#include "apps/event_type_repository.h"
#include "common/router.h"

namespace hookd {

// `app_id` absent: every application's, their counts added.
Result<nlohmann::json> ListEventTypes(EventTypeRepository& types,
                                      const std::optional<std::string>& app_id,
                                      const std::optional<std::string>& after, int limit);

void RegisterEventTypeRoutes(Router& router, EventTypeRepository& types,
                             ApplicationRepository& apps);

}  // namespace hookd
