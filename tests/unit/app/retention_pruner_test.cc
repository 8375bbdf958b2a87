// RetentionPruner against a real, migrated SQLite file, on a fake clock.
#include "app/retention_pruner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/migrations.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kNow = 100 * kDay;

class RetentionPrunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = Open();
    ASSERT_TRUE(ApplyMigrations(*db_, EmbeddedMigrations()).ok());
    options_.data = milliseconds(30 * kDay);
    options_.status_log = milliseconds(30 * kDay);
    options_.pause_factor = 0;
  }

  std::unique_ptr<Db> Open() {
    DbOptions options;
    options.synchronous = "NORMAL";  // no fsync per inserted row
    auto db = Db::Open(dir_.path() + "/hookd.db", options);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return std::move(db).value();
  }

  std::unique_ptr<RetentionPruner> Pruner(std::unique_ptr<Db> db = nullptr) {
    return std::make_unique<RetentionPruner>(db ? std::move(db) : Open(), options_, clock_,
                                             metrics_);
  }

  void Exec(const std::string& sql) { ASSERT_TRUE(db_->Exec(sql).ok()) << sql; }

  void Event(const std::string& id, int64_t at) {
    Exec(
        "INSERT INTO events (id, source_id, provider, provider_event_id, type, headers, body,"
        " received_at) VALUES ('" +
        id + "', 'src_1', 'github', '" + id + "', 'push', '{}', x'7b7d', " + std::to_string(at) +
        ")");
  }
  // A message delivered from `event_id`'s body, or with its own payload when there is none.
  void Message(const std::string& id, int64_t at, const std::string& event_id = "",
               const std::string& idempotency_key = "") {
    auto quoted = [](const std::string& s) { return s.empty() ? "NULL" : "'" + s + "'"; };
    Exec(
        "INSERT INTO messages (id, event_type, event_id, payload, idempotency_key, response,"
        " created_at) VALUES ('" +
        id + "', 'push', " + quoted(event_id) + ", " + (event_id.empty() ? "x'7b7d'" : "NULL") +
        ", " + quoted(idempotency_key) + ", '{}', " + std::to_string(at) + ")");
  }
  // next_attempt_at is set for pending and retrying deliveries, as the engine does.
  void Delivery(const std::string& id, const std::string& message_id, const std::string& status,
                int64_t created_at, int64_t updated_at) {
    const bool waiting = status == "pending" || status == "retrying";
    Exec(
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at,"
        " created_at, updated_at) VALUES ('" +
        id + "', '" + message_id + "', 'ep_1', '" + status + "', " +
        (waiting ? std::to_string(updated_at + kHour) : "NULL") + ", " +
        std::to_string(created_at) + ", " + std::to_string(updated_at) + ")");
  }
  void Attempt(const std::string& id, const std::string& delivery_id, int64_t at) {
    Exec("INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms) VALUES ('" + id +
         "', '" + delivery_id + "', 1, " + std::to_string(at) + ", 5)");
  }
  void LogEntry(int64_t at) {
    Exec("INSERT INTO status_log (type, at, data) VALUES ('delivery.attempted', " +
         std::to_string(at) + ", '{}')");
  }
  // An event with its message, one succeeded delivery and its attempt, all at `at`.
  void Delivered(const std::string& n, int64_t at) {
    Event("evt_" + n, at);
    Message("msg_" + n, at, "evt_" + n);
    Delivery("dlv_" + n, "msg_" + n, "succeeded", at, at);
    Attempt("att_" + n, "dlv_" + n, at);
  }

  int64_t Int(const std::string& sql) {
    auto st = db_->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return st->Int(0);
  }
  int64_t Count(const std::string& table) { return Int("SELECT COUNT(*) FROM " + table); }
  bool Has(const std::string& table, const std::string& id) {
    return Int("SELECT COUNT(*) FROM " + table + " WHERE id = '" + id + "'") == 1;
  }
  void ExpectNoOrphans() {
    EXPECT_EQ(Int("SELECT COUNT(*) FROM deliveries WHERE message_id NOT IN"
                  " (SELECT id FROM messages)"),
              0);
    EXPECT_EQ(Int("SELECT COUNT(*) FROM attempts WHERE delivery_id NOT IN"
                  " (SELECT id FROM deliveries)"),
              0);
    EXPECT_EQ(Int("SELECT COUNT(*) FROM messages WHERE event_id IS NOT NULL AND event_id NOT IN"
                  " (SELECT id FROM events)"),
              0);
  }

  testing::TempDir dir_;
  std::unique_ptr<Db> db_;
  FakeClock clock_{kNow};
  Metrics metrics_;
  RetentionOptions options_;
};

TEST_F(RetentionPrunerTest, DeletesRowsPastTheWindowAndNothingYounger) {
  Delivered("old", kNow - 40 * kDay);
  Delivered("edge", kNow - 30 * kDay - 1);  // one millisecond past the window
  Delivered("inside", kNow - 30 * kDay);    // exactly at the window's start: kept
  Delivered("young", kNow - 1 * kDay);
  LogEntry(kNow - 40 * kDay);
  LogEntry(kNow - 30 * kDay - 1);
  LogEntry(kNow - 30 * kDay);
  LogEntry(kNow - kDay);

  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.events, 2);
  EXPECT_EQ(r.messages, 2);
  EXPECT_EQ(r.deliveries, 2);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.status_log, 2);
  for (const char* gone : {"old", "edge"}) {
    EXPECT_FALSE(Has("events", std::string("evt_") + gone)) << gone;
    EXPECT_FALSE(Has("messages", std::string("msg_") + gone)) << gone;
    EXPECT_FALSE(Has("deliveries", std::string("dlv_") + gone)) << gone;
    EXPECT_FALSE(Has("attempts", std::string("att_") + gone)) << gone;
  }
  for (const char* kept : {"inside", "young"}) {
    EXPECT_TRUE(Has("events", std::string("evt_") + kept)) << kept;
    EXPECT_TRUE(Has("messages", std::string("msg_") + kept)) << kept;
    EXPECT_TRUE(Has("deliveries", std::string("dlv_") + kept)) << kept;
    EXPECT_TRUE(Has("attempts", std::string("att_") + kept)) << kept;
  }
  EXPECT_EQ(Int("SELECT MIN(at) FROM status_log"), kNow - 30 * kDay);
  EXPECT_EQ(Count("status_log"), 2);
  ExpectNoOrphans();
  // The counters say the same.
  const std::string text = metrics_.Serialize();
  EXPECT_NE(text.find("hookd_retention_pruned_rows_total{table=\"messages\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("hookd_retention_pruned_rows_total{table=\"status_log\"} 2"),
            std::string::npos);

  // Nothing more to do at the same time.
  PruneReport again = Pruner()->RunOnce(kNow);
  EXPECT_TRUE(again.status.ok());
  EXPECT_EQ(again.total(), 0);
}

TEST_F(RetentionPrunerTest, UnfinishedWorkKeepsItsMessageAttemptsAndEvent) {
  const int64_t old = kNow - 60 * kDay;
  // A message with one delivery done and one still retrying: all of it stays.
  Event("evt_r", old);
  Message("msg_r", old, "evt_r");
  Delivery("dlv_r1", "msg_r", "succeeded", old, old + 10);
  Attempt("att_r1", "dlv_r1", old);
  Delivery("dlv_r2", "msg_r", "retrying", old, old + 10);
  Attempt("att_r2", "dlv_r2", old);
  // Never attempted yet (the dispatcher was down).
  Event("evt_p", old);
  Message("msg_p", old, "evt_p");
  Delivery("dlv_p", "msg_p", "pending", old, old);
  // Failed long ago but retried by hand yesterday, and failed again: its latest attempt is young.
  Message("msg_f", old);
  Delivery("dlv_f", "msg_f", "failed", old, kNow - kDay);
  Attempt("att_f", "dlv_f", kNow - kDay);
  // Finished and old: goes, although it comes after the kept ones.
  Delivered("done", old + 1);
  Delivered("young", kNow - kDay);  // the newest delivery (which would stay anyway)

  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  for (const char* id : {"msg_r", "msg_p", "msg_f"}) EXPECT_TRUE(Has("messages", id)) << id;
  for (const char* id : {"dlv_r1", "dlv_r2", "dlv_p", "dlv_f"})
    EXPECT_TRUE(Has("deliveries", id)) << id;
  for (const char* id : {"att_r1", "att_r2", "att_f"}) EXPECT_TRUE(Has("attempts", id)) << id;
  EXPECT_TRUE(Has("events", "evt_r"));
  EXPECT_TRUE(Has("events", "evt_p"));
  EXPECT_FALSE(Has("messages", "msg_done"));
  EXPECT_FALSE(Has("events", "evt_done"));
  EXPECT_EQ(r.messages, 1);
  EXPECT_EQ(r.events, 1);

  // Once the retrying delivery has finished (and that, too, is past the window), it all goes.
  Exec("UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = 'dlv_r2'");
  r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(Has("messages", "msg_r"));
  EXPECT_FALSE(Has("events", "evt_r"));
  EXPECT_EQ(Count("attempts"), 2);  // att_f, att_young
  ExpectNoOrphans();
}

TEST_F(RetentionPrunerTest, AnEventWithoutMessagesGoesOnItsOwn) {
  Event("evt_alone", kNow - 31 * kDay);
  Event("evt_young", kNow - 29 * kDay);
  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(Has("events", "evt_alone"));
  EXPECT_TRUE(Has("events", "evt_young"));
}

TEST_F(RetentionPrunerTest, AnIdempotencyKeyIsKeptItsFullDayUnderAShorterRetention) {
  options_.data = milliseconds(kHour);
  Message("msg_keyed_2h", kNow - 2 * kHour, "", "key-1");
  Message("msg_plain_2h", kNow - 2 * kHour);
  Message("msg_keyed_25h", kNow - 25 * kHour, "", "key-2");
  // Ordered by seq as inserted; the young keyed one must not stop the walk.
  Message("msg_plain_after", kNow - 90 * 60 * 1000);
  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(Has("messages", "msg_keyed_2h"));
  EXPECT_FALSE(Has("messages", "msg_plain_2h"));
  EXPECT_FALSE(Has("messages", "msg_keyed_25h"));
  EXPECT_FALSE(Has("messages", "msg_plain_after"));
}

TEST_F(RetentionPrunerTest, TransactionsStayWithinTheBatch) {
  options_.batch_rows = 30;
  Exec("BEGIN");
  for (int i = 0; i < 100; ++i) Delivered(std::to_string(1000 + i), kNow - 40 * kDay + i);
  for (int i = 0; i < 100; ++i) LogEntry(kNow - 40 * kDay + i);
  LogEntry(kNow);
  Delivered("young", kNow);  // the newest delivery
  Exec("COMMIT");

  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // 100 x (message + delivery + attempt), 100 events, 100 status-log entries (not the newest).
  EXPECT_EQ(r.total(), 500);
  EXPECT_LE(r.max_rows_per_transaction, 30);
  // At least 300 / 30 for the messages, 4 for the events, 4 for the status log.
  EXPECT_GE(r.transactions, 18);
  EXPECT_EQ(Count("messages") + Count("deliveries") + Count("attempts") + Count("events"), 4);
  EXPECT_EQ(Count("status_log"), 1);
  ExpectNoOrphans();
}

TEST_F(RetentionPrunerTest, AMessageLargerThanTheBatchGoesWholeInItsOwnTransaction) {
  options_.batch_rows = 3;
  const int64_t old = kNow - 40 * kDay;
  Message("msg_big", old);
  for (int i = 0; i < 4; ++i) {
    Delivery("dlv_big" + std::to_string(i), "msg_big", "succeeded", old, old);
    Attempt("att_big" + std::to_string(i), "dlv_big" + std::to_string(i), old);
  }
  Delivered("small", old + 1);
  Delivered("young", kNow);  // the newest delivery
  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.messages, 2);
  EXPECT_EQ(r.max_rows_per_transaction, 9);  // 1 + 4 + 4, alone
  EXPECT_EQ(Count("deliveries"), 1);         // young's
  ExpectNoOrphans();
}

TEST_F(RetentionPrunerTest, TheStatusLogHasItsOwnWindow) {
  options_.data = std::nullopt;  // "off": events and messages are kept
  options_.status_log = milliseconds(kDay);
  Delivered("old", kNow - 40 * kDay);
  Delivered("young", kNow - kHour);  // the newest delivery
  LogEntry(kNow - 2 * kDay);
  LogEntry(kNow - kHour);
  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.status_log, 1);
  EXPECT_EQ(Count("status_log"), 1);
  EXPECT_TRUE(Has("messages", "msg_old"));
  EXPECT_TRUE(Has("events", "evt_old"));

  options_.data = milliseconds(30 * kDay);
  options_.status_log = std::nullopt;
  LogEntry(kNow - 50 * kDay);  // newer seq, old time: kept with the log's retention off
  r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(Has("messages", "msg_old"));
  EXPECT_EQ(Count("status_log"), 2);
}

TEST_F(RetentionPrunerTest, TheNewestStatusEntryStaysSoSeqKeepsIncreasing) {
  LogEntry(kNow - 50 * kDay);
  LogEntry(kNow - 40 * kDay);
  const int64_t newest = Int("SELECT MAX(seq) FROM status_log");
  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.status_log, 1);
  EXPECT_EQ(Int("SELECT MIN(seq) FROM status_log"), newest);
  LogEntry(kNow);
  EXPECT_EQ(Int("SELECT MAX(seq) FROM status_log"), newest + 1);
}

// The delivery engine finds new deliveries by seq, so the newest delivery row (and its message
// and attempts with it) stays: a seq freed at the top would be given to the next delivery.
TEST_F(RetentionPrunerTest, TheNewestDeliveryStaysSoSeqKeepsIncreasing) {
  Delivered("older", kNow - 50 * kDay);
  Delivered("newest", kNow - 40 * kDay);
  Message("msg_bare", kNow - 35 * kDay);  // newer, but without deliveries: it goes
  const int64_t newest = Int("SELECT MAX(seq) FROM deliveries");
  PruneReport r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, 2);
  EXPECT_EQ(r.deliveries, 1);
  EXPECT_FALSE(Has("messages", "msg_older"));
  EXPECT_FALSE(Has("messages", "msg_bare"));
  EXPECT_TRUE(Has("messages", "msg_newest"));
  EXPECT_TRUE(Has("attempts", "att_newest"));
  EXPECT_EQ(Int("SELECT MIN(seq) FROM deliveries"), newest);
  ExpectNoOrphans();
  Message("msg_next", kNow);
  Delivery("dlv_next", "msg_next", "pending", kNow, kNow);
  EXPECT_EQ(Int("SELECT MAX(seq) FROM deliveries"), newest + 1);
  // Once a newer delivery exists, the old one goes at the next run.
  r = Pruner()->RunOnce(kNow);
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(Has("messages", "msg_newest"));
}

TEST_F(RetentionPrunerTest, ADatabaseErrorIsReportedNotThrown) {
  Delivered("old", kNow - 40 * kDay);
  LogEntry(kNow - 40 * kDay);
  LogEntry(kNow);
  std::unique_ptr<Db> read_only = Open();
  ASSERT_TRUE(read_only->Exec("PRAGMA query_only = 1").ok());
  PruneReport r;
  EXPECT_NO_THROW(r = Pruner(std::move(read_only))->RunOnce(kNow));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.total(), 0);
  EXPECT_TRUE(Has("messages", "msg_old"));
  EXPECT_EQ(Count("status_log"), 2);
}

TEST_F(RetentionPrunerTest, StopIsPromptWhileWaitingForTheNextRun) {
  options_.interval = milliseconds(3600 * 1000);
  auto pruner = Pruner();
  pruner->Start();
  const auto start = std::chrono::steady_clock::now();
  pruner->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  pruner->Stop();  // idempotent
}

}  // namespace
}  // namespace hookd
