// AppStats (apps/app_stats.h): the last hour of one application, its deliveries by status, other
// applications and older rows left out.
#include "apps/app_stats.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int64_t kHour = 3'600'000;

TEST(AppStatsTest, TheLastHourOfOneApplication) {
  testing::TempDir dir;
  auto pool = testing::MigratedPool(dir.path() + "/hookd.db");
  auto db = pool->Acquire();
  ASSERT_TRUE(db.ok());
  // In insertion (seq) order, as time goes: two hours ago, then within the hour.
  int n = 0;
  auto add = [&](const std::string& app, int64_t at, const std::string& status) {
    const std::string id = std::to_string(++n);
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO messages (id, app_id, event_type, payload, created_at)"
                           " VALUES ('msg_" +
                           id + "', '" + app + "', 'a.b', '{}', " + std::to_string(at) +
                           ");"
                           "INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status,"
                           " created_at, updated_at) VALUES ('dlv_" +
                           id + "', '" + app + "', 'msg_" + id + "', 'ep_1', '" + status + "', " +
                           std::to_string(at) + ", " + std::to_string(at) + ")")
                    .ok());
  };
  add("app_a", kNow - 2 * kHour, "failed");
  add("app_a", kNow - 2 * kHour + 1, "succeeded");
  add("app_a", kNow - kHour + 10, "succeeded");
  add("app_b", kNow - 100, "failed");
  add("app_a", kNow - 50, "failed");
  add("app_a", kNow - 10, "retrying");
  auto stats = AppStats(**db, "app_a", kNow);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ((*stats)["messages"], 3);
  EXPECT_EQ((*stats)["deliveries"]["succeeded"], 1);
  EXPECT_EQ((*stats)["deliveries"]["failed"], 1);
  EXPECT_EQ((*stats)["deliveries"]["retrying"], 1);
  EXPECT_EQ((*stats)["deliveries"]["pending"], 0);
  auto empty = AppStats(**db, "app_none", kNow);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)["messages"], 0);
}

}  // namespace
}  // namespace hookd
