// AppStatsSource: the last hour of one application (apps/app_stats.h) from whichever engine holds
// it: SqliteAppStats on SQLite, PgAppStats on PostgreSQL, with the same answers. Each answers
// {"since", "messages", "deliveries": {"pending", "retrying", "succeeded", "failed"}} for the
// messages and deliveries made since now minus the window, walking each table from its newest row
// down to the first older one. It does not check the application: the route resolves it first.
// Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/db.h"
#include "common/result.h"

namespace hookd {

class AppStatsSource {
 public:
  virtual ~AppStatsSource() = default;
  virtual Result<nlohmann::json> Stats(
      const std::string& app_id, int64_t now_ms,
      std::chrono::milliseconds window = std::chrono::hours(1)) = 0;
};

// Over SQLite: AppStats on a pooled connection.
class SqliteAppStats final : public AppStatsSource {
 public:
  explicit SqliteAppStats(DbPool& pool) : pool_(pool) {}
  Result<nlohmann::json> Stats(const std::string& app_id, int64_t now_ms,
                               std::chrono::milliseconds window) override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
