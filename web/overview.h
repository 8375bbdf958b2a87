// The dashboard's overview (GET /api/v1/overview): counters and a per-minute series of the last
// hour, the newest status-log entries, and the status log's head `seq` they were read at, so a
// status stream resumed after that seq continues the picture without a gap or a repeat.
// Reads the caller's connection in one read transaction; thread-safety is that of the Db.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "common/router.h"

namespace hookd {

class Db;
class DbPool;

struct OverviewOptions {
  int64_t now_ms = 0;
  int minutes = 60;  // the series' length, ending with the minute holding now_ms
  int recent = 100;  // how many of the newest entries to include
};

// {"seq", "window_start", "counters": {"received", "delivered", "failed" (entries in the window),
//  "retrying" (deliveries retrying now)}, "minutes": [{"t", "received", "succeeded", "retrying",
//  "failed", "attempts", "latency_ms_avg", "latency_ms_max"}], "recent": [entries, oldest first]}.
// An error only when the database fails.
Result<nlohmann::json> ReadOverview(Db& db, const OverviewOptions& options);

// GET /api/v1/overview (admin): ReadOverview of the last hour at the clock's now.
void RegisterOverviewRoutes(Router& router, DbPool& pool, const Clock& clock);

}  // namespace hookd
