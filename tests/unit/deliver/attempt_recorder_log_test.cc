// The log lines AttemptRecorder writes once a batch commits: a delivery failed for good, an
// endpoint disabled, a circuit opened or closed; none for a retry, none when the batch fails.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/migrations.h"
#include "deliver/attempt_recorder.h"
#include "tests/testing/memory_log_sink.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kStart = 1'790'000'000'000;  // unix ms

class AttemptRecorderLogTest : public ::testing::Test {
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
        "INSERT INTO messages (id, event_type, payload, created_at) VALUES ('msg_1', 'a', '{}', "
        "0)");
    for (const char* id : {"dlv_1", "dlv_2"}) {
      Exec(std::string("INSERT INTO deliveries (id, message_id, endpoint_id, status,"
                       " next_attempt_at, created_at, updated_at) VALUES ('") +
           id + "', 'msg_1', 'ep_1', 'pending', 0, 0, 0)");
    }
    RetryPolicy policy;
    policy.schedule = {milliseconds(1000), milliseconds(2000)};
    recorder_ = std::make_unique<AttemptRecorder>(*db_, metrics_, clock_, random_, policy,
                                                  std::chrono::hours(120), logger_);
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(db_->Exec(sql).ok()) << sql; }

  static AttemptRecord Outcome(const std::string& delivery_id, int status, int retry_index = 0) {
    AttemptRecord r;
    r.delivery_id = delivery_id;
    r.message_id = "msg_1";
    r.endpoint_id = "ep_1";
    r.attempts_before = retry_index;
    r.retry_index = retry_index;
    r.started_at = kStart;
    r.result.status = status;
    return r;
  }

  testing::TempDir dir_;
  std::unique_ptr<Db> db_;
  Metrics metrics_;
  FakeClock clock_{kStart};
  SeededRandom random_{7};
  testing::MemoryLogSink sink_;
  Logger logger_{sink_, clock_, LogLevel::kInfo, LogFormat::kJson};
  std::unique_ptr<AttemptRecorder> recorder_;
};

TEST_F(AttemptRecorderLogTest, ARetryIsNotLoggedTheLastFailureIs) {
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_1", 500, 0)}).ok());
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_1", 500, 1)}).ok());
  EXPECT_TRUE(sink_.Lines().empty()) << sink_.Lines()[0];
  AttemptRecord last = Outcome("dlv_1", 0, 2);
  last.result.error = "connection refused";
  ASSERT_TRUE(recorder_->Record({last}).ok());
  const auto lines = sink_.WithMsg("delivery failed for good");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[0]["delivery_id"], "dlv_1");
  EXPECT_EQ(lines[0]["message_id"], "msg_1");
  EXPECT_EQ(lines[0]["endpoint_id"], "ep_1");
  EXPECT_EQ(lines[0]["attempts"], 3);
  EXPECT_EQ(lines[0]["last_error"], "connection refused");
  EXPECT_FALSE(lines[0].contains("last_status"));
  EXPECT_EQ(sink_.Lines().size(), 1u);
}

TEST_F(AttemptRecorderLogTest, AFailedManualAttemptOnAFailedDeliveryIsNotASecondFailure) {
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_1", 500, 0)}).ok());
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_1", 500, 1)}).ok());
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_1", 500, 2)}).ok());
  ASSERT_EQ(sink_.WithMsg("delivery failed for good").size(), 1u);
  EXPECT_EQ(metrics_.deliveries_failed().Value(), 1);
  // A manual retry queues one attempt and remembers where the delivery returns (as
  // MessageService::Retry does); the claim reads that as a manual attempt.
  Exec(
      "UPDATE deliveries SET manual_return_status = status, manual_return_at = NULL,"
      " next_attempt_at = 0 WHERE id = 'dlv_1'");
  AttemptRecord manual = Outcome("dlv_1", 503, 3);
  manual.manual = true;
  ASSERT_TRUE(recorder_->Record({manual}).ok());
  auto st = db_->Prepare("SELECT status, attempts FROM deliveries WHERE id = 'dlv_1'");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Text(0), "failed");  // back where it was
  EXPECT_EQ(st->Int(1), 4);          // with the attempt counted
  EXPECT_EQ(sink_.WithMsg("delivery failed for good").size(), 1u);
  EXPECT_EQ(metrics_.deliveries_failed().Value(), 1);
  // The same failure outside a manual retry is one: dlv_2 fails for good on its last attempt.
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_2", 500, 2)}).ok());
  EXPECT_EQ(sink_.WithMsg("delivery failed for good").size(), 2u);
  EXPECT_EQ(metrics_.deliveries_failed().Value(), 2);
}

TEST_F(AttemptRecorderLogTest, GoneFailsTheDeliveryAndDisablesTheEndpoint) {
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_1", 410)}).ok());
  const auto failed = sink_.WithMsg("delivery failed for good");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["last_status"], 410);
  EXPECT_EQ(failed[0]["attempts"], 1);
  const auto disabled = sink_.WithMsg("endpoint disabled");
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0]["endpoint_id"], "ep_1");
  EXPECT_NE(disabled[0]["reason"].get<std::string>().find("410"), std::string::npos);
  // Disabled once: a second 410 fails its delivery but does not disable again.
  ASSERT_TRUE(recorder_->Record({Outcome("dlv_2", 410)}).ok());
  EXPECT_EQ(sink_.WithMsg("endpoint disabled").size(), 1u);
  EXPECT_EQ(sink_.WithMsg("delivery failed for good").size(), 2u);
}

TEST_F(AttemptRecorderLogTest, CircuitChangesAreLogged) {
  CircuitChange open{"ep_1", CircuitState::kClosed, CircuitState::kOpen, kStart + 30'000,
                     "5 failures in a row"};
  ASSERT_TRUE(recorder_->Record({}, {open}).ok());
  // Open to half-open is not an operator's change; half-open to closed is.
  CircuitChange probe{"ep_1", CircuitState::kOpen, CircuitState::kHalfOpen, 0, ""};
  CircuitChange closed{"ep_1", CircuitState::kHalfOpen, CircuitState::kClosed, 0, ""};
  ASSERT_TRUE(recorder_->Record({}, {probe, closed}).ok());
  const auto lines = sink_.JsonLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["msg"], "circuit opened");
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[0]["endpoint_id"], "ep_1");
  EXPECT_EQ(lines[0]["reason"], "5 failures in a row");
  EXPECT_EQ(lines[0]["retry_at"], "2026-09-21T14:13:50.000Z");
  EXPECT_EQ(lines[1]["msg"], "circuit closed");
  EXPECT_EQ(lines[1]["endpoint_id"], "ep_1");
}

TEST_F(AttemptRecorderLogTest, NothingIsLoggedWhenTheBatchDoesNotCommit) {
  Exec("DROP TABLE attempts");
  CircuitChange open{"ep_1", CircuitState::kClosed, CircuitState::kOpen, kStart + 30'000, "x"};
  EXPECT_FALSE(recorder_->Record({Outcome("dlv_1", 410)}, {open}).ok());
  EXPECT_TRUE(sink_.Lines().empty());
}

}  // namespace
}  // namespace hookd
