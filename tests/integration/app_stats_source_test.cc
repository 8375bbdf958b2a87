// Application stats on both engines (SqliteAppStats, PgAppStats) with the same answers: the
// window's messages and deliveries of one application by status, other applications and older
// rows left out, a row exactly at the window's start counted, the walk from the newest row stopping
// at the first older one (a row committed late with an old time stops it), the window as given,
// and zeros for an unknown application; a deleted application's rows still count (the route
// refuses it before asking).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "apps/app_stats_source.h"
#include "common/time_format.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;
constexpr int64_t kHour = 3'600'000;

template <typename Engine>
class AppStatsSourceTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    stats_ = this->engine_.MakeAppStats();
  }

  // A message and its delivery of `app` made at `at`, in insertion (seq) order.
  void Add(const std::string& app, int64_t at, const std::string& status) {
    const std::string id = std::to_string(++n_);
    const std::string t = std::to_string(at);
    std::string sql = "INSERT INTO messages (id, app_id, event_type, created_at) VALUES ('msg_";
    sql += id + "', '" + app + "', 'a.b', " + t + ")";
    Status s = this->engine_.Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
    sql = "INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, created_at,";
    sql += " updated_at) VALUES ('dlv_";
    sql += id + "', '" + app + "', 'msg_" + id + "', 'ep_1', '";
    sql += status + "', " + t + ", " + t + ")";
    s = this->engine_.Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  nlohmann::json Stats(const std::string& app,
                       std::chrono::milliseconds window = std::chrono::hours(1)) {
    auto r = stats_->Stats(app, kNow, window);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nlohmann::json();
  }
  static nlohmann::json Expected(int64_t since, int64_t messages, int64_t pending, int64_t retrying,
                                 int64_t succeeded, int64_t failed) {
    return {{"since", FormatRfc3339(since)},
            {"messages", messages},
            {"deliveries",
             {{"pending", pending},
              {"retrying", retrying},
              {"succeeded", succeeded},
              {"failed", failed}}}};
  }

  int n_ = 0;
  std::unique_ptr<AppStatsSource> stats_;
};

TYPED_TEST_SUITE(AppStatsSourceTest, StoreEngines, EngineName);

TYPED_TEST(AppStatsSourceTest, TheLastHourOfOneApplication) {
  this->Add("app_a", kNow - 2 * kHour, "failed");
  this->Add("app_a", kNow - 2 * kHour + 1, "succeeded");
  this->Add("app_a", kNow - kHour, "succeeded");  // exactly at the start: counted
  this->Add("app_b", kNow - 100, "failed");
  this->Add("app_a", kNow - 50, "failed");
  this->Add("app_a", kNow - 10, "retrying");
  this->Add("app_a", kNow - 5, "pending");
  EXPECT_EQ(this->Stats("app_a"), this->Expected(kNow - kHour, 4, 1, 1, 1, 1));
  EXPECT_EQ(this->Stats("app_b"), this->Expected(kNow - kHour, 1, 0, 0, 0, 1));
  EXPECT_EQ(this->Stats("app_a", std::chrono::milliseconds(20)),
            this->Expected(kNow - 20, 2, 1, 1, 0, 0));
  EXPECT_EQ(this->Stats("app_a", std::chrono::hours(3)),
            this->Expected(kNow - 3 * kHour, 6, 1, 1, 2, 2));
  EXPECT_EQ(this->Stats("app_none"), this->Expected(kNow - kHour, 0, 0, 0, 0, 0));
}

TYPED_TEST(AppStatsSourceTest, TheWalkStopsAtTheFirstOlderRow) {
  this->Add("app_a", kNow - 30, "succeeded");
  this->Add("app_a", kNow - 2 * kHour, "failed");  // committed late with an old time
  this->Add("app_a", kNow - 20, "succeeded");
  this->Add("app_a", kNow - 10, "pending");
  EXPECT_EQ(this->Stats("app_a"), this->Expected(kNow - kHour, 2, 1, 0, 1, 0));
}

TYPED_TEST(AppStatsSourceTest, ADeletedApplicationsRowsStillCount) {
  Status s = this->engine_.Exec(
      "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at)"
      " VALUES ('app_d', 'd', 'D', 0, 0, 1)");
  ASSERT_TRUE(s.ok()) << s.ToString();
  this->Add("app_d", kNow - 10, "failed");
  EXPECT_EQ(this->Stats("app_d"), this->Expected(kNow - kHour, 1, 0, 0, 0, 1));
}

}  // namespace
}  // namespace hookd::testing
