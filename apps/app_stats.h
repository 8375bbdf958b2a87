// GET /api/v1/apps/{app}/stats (API.md, "Applications (tenants)"): the last hour of one
// application: {"since", "messages", "deliveries": {"pending", "retrying", "succeeded",
// "failed"}} for the messages and deliveries created since then (deliveries by their status now).
// Each table is walked from its newest row down its application index and stops at the first row
// older than the hour, so the cost is the hour's rows, not the application's history.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/application_repository.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/router.h"

namespace hookd {

Result<nlohmann::json> AppStats(Db& db, const std::string& app_id, int64_t now_ms,
                                std::chrono::milliseconds window = std::chrono::hours(1));

void RegisterAppStatsRoute(Router& router, DbPool& pool, ApplicationRepository& apps,
                           const Clock& clock);

}  // namespace hookd
