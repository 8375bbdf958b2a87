// AttemptRecorder against a real SQLite database: an endpoint's failure tracking (disabled after
// failing too long without a success, or at once on 410), in the order of a batch's outcomes.
#include "deliver/attempt_recorder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/migrations.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr int64_t kStart = 1'790'000'000'000;  // unix ms
constexpr milliseconds kDisableAfter = hours(24 * 5);

class AttemptRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::Open(dir_.path() + "/hookd.db", DbOptions{});
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    ASSERT_TRUE(ApplyMigrations(*db_, EmbeddedMigrations()).ok());
    Exec(
        "INSERT INTO endpoints (id, url, secret, created_at, updated_at)"
        " VALUES ('ep_1', 'https://example.com/hook', 'whsec_x', 0, 0)");
    Exec(
        "INSERT INTO messages (id, event_type, payload, created_at) VALUES ('msg_1', 'a.b', '{}', "
        "0)");
    for (const char* id : {"dlv_1", "dlv_2"}) {
      Exec(std::string("INSERT INTO deliveries (id, message_id, endpoint_id, status,"
                       " next_attempt_at, created_at, updated_at) VALUES ('") +
           id + "', 'msg_1', 'ep_1', 'pending', 0, 0, 0)");
    }
    recorder_ = std::make_unique<AttemptRecorder>(*db_, metrics_, clock_, random_,
                                                  DefaultRetryPolicy(), kDisableAfter);
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(db_->Exec(sql).ok()) << sql; }

  // One column of one row, as text ("NULL" for NULL).
  std::string Query(const std::string& sql) {
    auto st = db_->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    if (!st.ok()) return "";
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    if (!row.ok() || !*row) return "";
    return st->IsNull(0) ? "NULL" : st->Text(0);
  }

  static AttemptRecord Outcome(const std::string& delivery_id, int status) {
    AttemptRecord r;
    r.delivery_id = delivery_id;
    r.message_id = "msg_1";
    r.endpoint_id = "ep_1";
    r.started_at = kStart;
    r.result.status = status;
    return r;
  }

  void Record(const std::vector<AttemptRecord>& records) {
    Status s = recorder_->Record(records);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  std::string Disabled() { return Query("SELECT disabled FROM endpoints WHERE id = 'ep_1'"); }
  std::string FailingSince() {
    return Query("SELECT failing_since FROM endpoints WHERE id = 'ep_1'");
  }

  testing::TempDir dir_;
  std::unique_ptr<Db> db_;
  Metrics metrics_;
  FakeClock clock_{kStart};
  SeededRandom random_{7};
  std::unique_ptr<AttemptRecorder> recorder_;
};

TEST_F(AttemptRecorderTest, FailingLongerThanTheLimitWithoutASuccessDisablesTheEndpoint) {
  Record({Outcome("dlv_1", 500)});
  EXPECT_EQ(FailingSince(), std::to_string(kStart));
  EXPECT_EQ(Disabled(), "0");
  clock_.Advance(kDisableAfter - milliseconds(1));
  Record({Outcome("dlv_1", 500)});
  EXPECT_EQ(Disabled(), "0");
  EXPECT_FALSE(recorder_->TakeEndpointsChanged());
  clock_.Advance(milliseconds(1));
  Record({Outcome("dlv_1", 503)});
  EXPECT_EQ(Disabled(), "1");
  EXPECT_NE(Query("SELECT disabled_reason FROM endpoints").find("failing without a success"),
            std::string::npos);
  EXPECT_EQ(Query("SELECT COUNT(*) FROM status_log WHERE type = 'endpoint.disabled'"), "1");
  EXPECT_TRUE(recorder_->TakeEndpointsChanged());
  EXPECT_FALSE(recorder_->TakeEndpointsChanged());  // once
}

TEST_F(AttemptRecorderTest, ASuccessRestartsTheFailingClock) {
  Record({Outcome("dlv_1", 500)});
  clock_.Advance(hours(24 * 3));
  Record({Outcome("dlv_2", 200)});
  EXPECT_EQ(FailingSince(), "NULL");
  clock_.Advance(hours(24 * 3));
  Record({Outcome("dlv_1", 500)});
  EXPECT_EQ(FailingSince(), std::to_string(clock_.NowUnixMillis()));
  EXPECT_EQ(Disabled(), "0");
}

TEST_F(AttemptRecorderTest, WithinOneBatchOutcomesApplyInOrder) {
  // Failing for six days already: a success then a failure in one batch must not disable it
  // (the success came first), and the failing clock restarts at the failure.
  Exec("UPDATE endpoints SET failing_since = " +
       std::to_string(kStart - hours(24 * 6) / milliseconds(1)));
  Record({Outcome("dlv_1", 200), Outcome("dlv_2", 500)});
  EXPECT_EQ(Disabled(), "0");
  EXPECT_EQ(FailingSince(), std::to_string(kStart));
  // A failure then a success: the success is the last word.
  Record({Outcome("dlv_2", 500), Outcome("dlv_1", 200)});
  EXPECT_EQ(FailingSince(), "NULL");
  EXPECT_EQ(Disabled(), "0");
}

TEST_F(AttemptRecorderTest, GoneDisablesTheEndpointAtOnce) {
  Record({Outcome("dlv_1", 410)});
  EXPECT_EQ(Disabled(), "1");
  EXPECT_NE(Query("SELECT disabled_reason FROM endpoints").find("410"), std::string::npos);
  EXPECT_EQ(Query("SELECT status FROM deliveries WHERE id = 'dlv_1'"), "failed");
  EXPECT_TRUE(recorder_->TakeEndpointsChanged());
}

TEST_F(AttemptRecorderTest, AttemptsAndStatusLogFollowEachOutcome) {
  Record({Outcome("dlv_1", 500), Outcome("dlv_2", 204)});
  EXPECT_EQ(Query("SELECT status FROM deliveries WHERE id = 'dlv_1'"), "retrying");
  EXPECT_EQ(Query("SELECT status FROM deliveries WHERE id = 'dlv_2'"), "succeeded");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM attempts"), "2");
  EXPECT_EQ(Query("SELECT group_concat(type, ',') FROM (SELECT type FROM status_log ORDER BY seq)"),
            "delivery.attempted,delivery.retrying,delivery.attempted,delivery.succeeded");
}

TEST_F(AttemptRecorderTest, StatusLogEntriesCarryTheAttemptsDetails) {
  AttemptRecord timeout = Outcome("dlv_2", 0);
  timeout.result.error = "timeout: no \"answer\"";
  timeout.result.duration_ms = 15000;
  Record({Outcome("dlv_1", 500), timeout});
  auto st = db_->Prepare("SELECT type, data FROM status_log ORDER BY seq");
  ASSERT_TRUE(st.ok());
  std::vector<std::pair<std::string, nlohmann::json>> entries;
  while (true) {
    auto row = st->Step();
    ASSERT_TRUE(row.ok());
    if (!*row) break;
    auto data = nlohmann::json::parse(st->Text(1), nullptr, false);
    ASSERT_FALSE(data.is_discarded()) << st->Text(1);
    EXPECT_EQ(data.dump(), st->Text(1));  // well-formed, keys in order, nothing else
    entries.emplace_back(st->Text(0), data);
  }
  ASSERT_EQ(entries.size(), 4u);
  const nlohmann::json& attempted = entries[0].second;
  EXPECT_EQ(entries[0].first, "delivery.attempted");
  EXPECT_EQ(attempted["delivery_id"], "dlv_1");
  EXPECT_EQ(attempted["message_id"], "msg_1");
  EXPECT_EQ(attempted["endpoint_id"], "ep_1");
  EXPECT_EQ(attempted["attempt"], 1);
  EXPECT_EQ(attempted["response_status"], 500);
  EXPECT_FALSE(attempted.contains("error"));
  const nlohmann::json& retrying = entries[1].second;
  EXPECT_EQ(entries[1].first, "delivery.retrying");
  EXPECT_EQ(retrying["status"], "retrying");
  EXPECT_EQ(retrying["response_status"], 500);
  EXPECT_TRUE(retrying["next_attempt_at"].is_string());
  const nlohmann::json& timed_out = entries[2].second;
  EXPECT_EQ(timed_out["error"], "timeout: no \"answer\"");
  EXPECT_TRUE(timed_out["response_status"].is_null());
  EXPECT_EQ(timed_out["latency_ms"], 15000);
  EXPECT_FALSE(entries[3].second.contains("response_status"));
}

TEST_F(AttemptRecorderTest, AttemptsAreCountedByResult) {
  AttemptRecord timeout = Outcome("dlv_2", 0);
  timeout.result.error = "timeout";
  Record({Outcome("dlv_1", 500), timeout});
  Record({Outcome("dlv_1", 200)});
  const std::string text = metrics_.Serialize();
  EXPECT_NE(text.find("hookd_delivery_attempts_total{result=\"success\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("hookd_delivery_attempts_total{result=\"failure\"} 1"), std::string::npos);
  EXPECT_NE(text.find("hookd_delivery_attempts_total{result=\"error\"} 1"), std::string::npos);
  // No endpoint id in the labels unless HOOKD_METRICS_PER_ID asks.
  EXPECT_NE(text.find("hookd_endpoint_failures_total{endpoint=\"all\"} 2"), std::string::npos);
  EXPECT_EQ(text.find("ep_1"), std::string::npos) << text;
}

TEST_F(AttemptRecorderTest, PerIdLabelsEndpointFailuresByEndpoint) {
  Metrics per_id(true);
  AttemptRecorder recorder(*db_, per_id, clock_, random_, DefaultRetryPolicy(), kDisableAfter);
  ASSERT_TRUE(recorder.Record({Outcome("dlv_1", 500), Outcome("dlv_2", 502)}).ok());
  const std::string text = per_id.Serialize();
  EXPECT_NE(text.find("hookd_endpoint_failures_total{endpoint=\"ep_1\"} 2"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("endpoint=\"all\""), std::string::npos) << text;
}

double FailedForGood(const Metrics& m) {
  const std::string text = m.Serialize();
  const std::string key = "\nhookd_deliveries_failed_total ";
  const size_t at = text.find(key);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + key.size()));
}

TEST_F(AttemptRecorderTest, DeliveriesFailedForGoodAreCountedOnceCommitted) {
  EXPECT_EQ(FailedForGood(metrics_), 0);
  Record({Outcome("dlv_1", 500)});  // a retry is scheduled: not failed for good
  EXPECT_EQ(FailedForGood(metrics_), 0);
  Record({Outcome("dlv_2", 410)});  // 410 Gone: failed at once
  EXPECT_EQ(FailedForGood(metrics_), 1);
  AttemptRecord unattempted = Outcome("dlv_1", 0);
  unattempted.attempted = false;  // its endpoint was disabled
  unattempted.result.error = "endpoint disabled";
  Record({unattempted, Outcome("dlv_2", 200)});
  EXPECT_EQ(FailedForGood(metrics_), 2);
  // The last scheduled attempt failing ends the delivery too.
  AttemptRecord last = Outcome("dlv_1", 500);
  last.retry_index = static_cast<int>(DefaultRetryPolicy().schedule.size());
  Record({last});
  EXPECT_EQ(FailedForGood(metrics_), 3);
  // A batch whose transaction fails counts nothing.
  Exec("DROP TABLE attempts");
  EXPECT_FALSE(recorder_->Record({Outcome("dlv_2", 410)}).ok());
  EXPECT_EQ(FailedForGood(metrics_), 3);
}

}  // namespace
}  // namespace hookd
