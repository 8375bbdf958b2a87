// AppStatsSource on PostgreSQL, over a PgPool: the same answers as SqliteAppStats
// (docs/DECISIONS.md, "PostgreSQL: portal codes and application stats"). Each table's count is one
// query: the rows of the application after the newest one older than the window, which is what
// SQLite's walk from the newest row down to the first older one counts, found the same way, down
// the (app_id, seq) index. Thread-safe.
#pragma once

#include "apps/app_stats_source.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgAppStats final : public AppStatsSource {
 public:
  explicit PgAppStats(PgPool& pool) : pool_(pool) {}
  Result<nlohmann::json> Stats(const std::string& app_id, int64_t now_ms,
                               std::chrono::milliseconds window) override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
