#include "apps/app_stats_source.h"

#include "apps/app_stats.h"

namespace hookd {

Result<nlohmann::json> SqliteAppStats::Stats(const std::string& app_id, int64_t now_ms,
                                             std::chrono::milliseconds window) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  return AppStats(**db, app_id, now_ms, window);
}

}  // namespace hookd
