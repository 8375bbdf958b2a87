// Retention and the application reaper on both engines: the same rows pruned with the same
// cutoffs leave the same rows (RetentionPruner on SQLite, PgRetentionStore on PostgreSQL), which
// are the ones "Retention" in docs/DECISIONS.md keeps; bad inputs are refused alike; and a larger
// mixed history pruned in small batches leaves identical tables and reports on both.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "app/retention_pruner.h"
#include "apps/app_reaper.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/metrics.h"
#include "storage/pg/pg_app_reaper_store.h"
#include "storage/pg/pg_retention_store.h"
#include "storage/pg/pg_singleton_lock.h"
#include "tests/testing/retention_fixtures.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kNow = 100 * kRetentionDay;
constexpr int64_t kOld = 10 * kRetentionDay;
constexpr int64_t kRecent = 95 * kRetentionDay;

// Prunes or reaps with the engine's own code.
template <typename Engine>
PruneReport Prune(Engine& engine, const RetentionOptions& options, int64_t now) {
  if constexpr (Engine::kPostgres) {
    PgSingletonLock lock(engine.pool().url(), kPgRetentionLockKey);
    PgRetentionStore store(engine.pool(), options);
    return store.RunOnce(now, lock);
  } else {
    auto db = Db::Open(engine.pool().path(), DbOptions{});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    FakeClock clock(now);
    Metrics metrics;
    RetentionPruner pruner(std::move(db).value(), options, clock, metrics);
    return pruner.RunOnce(now);
  }
}

template <typename Engine>
ReapReport Reap(Engine& engine, int batch) {
  if constexpr (Engine::kPostgres) {
    PgSingletonLock lock(engine.pool().url(), kPgAppReaperLockKey);
    PgAppReaperStore store(engine.pool(), batch);
    return store.RunOnce(lock);
  } else {
    auto db = Db::Open(engine.pool().path(), DbOptions{});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    AppReaper reaper(std::move(db).value(), milliseconds(60000), batch, Logger::Discard());
    return reaper.RunOnce();
  }
}

std::string Counts(const PruneReport& r) {
  std::string out = "events=" + std::to_string(r.events);
  out += " messages=" + std::to_string(r.messages);
  out += " deliveries=" + std::to_string(r.deliveries);
  out += " attempts=" + std::to_string(r.attempts);
  out += " status_log=" + std::to_string(r.status_log);
  return out;
}

template <typename Engine>
class RetentionCompareTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    rows_ = std::make_unique<RetentionRows<Engine>>(this->engine_);
    options_.data = milliseconds(30 * kRetentionDay);
    options_.status_log = milliseconds(30 * kRetentionDay);
    options_.batch_rows = 3;
    options_.pause_factor = 0;
  }

  // Old and recent events; messages with final, pending, retrying and recently changed
  // deliveries, with attempts; a keyed one; the newest delivery's message; status entries.
  void Seed() {
    RetentionRows<Engine>& r = *rows_;
    r.Delivered("a", kOld);  // all final and old: goes whole
    r.Event("evt_b", kOld);  // one failed, one pending: stays, with its event and attempt
    r.Message("msg_b", kOld, "evt_b");
    r.Delivery("dlv_b1", "msg_b", "failed", kOld, kOld);
    r.Attempt("att_b1", "dlv_b1", kOld);
    r.Delivery("dlv_b2", "msg_b", "pending", kOld, kOld);
    r.Message("msg_c", kOld);  // retrying: stays
    r.Delivery("dlv_c", "msg_c", "retrying", kOld, kOld);
    r.Message("msg_d", kOld);  // failed, but changed inside the window: stays
    r.Delivery("dlv_d", "msg_d", "failed", kOld, kRecent);
    r.Message("msg_e", kOld, "", "key-e");  // keyed, older than its 24 hours: goes
    r.Delivery("dlv_e", "msg_e", "succeeded", kOld, kOld);
    r.Attempt("att_e", "dlv_e", kOld);
    r.Event("evt_f", kOld);  // no message: goes
    r.Event("evt_z", kOld);  // the newest delivery's message: stays
    r.Message("msg_z", kOld, "evt_z");
    r.Delivered("g", kRecent);  // inside the window: stays, and the walk stops there
    r.Delivery("dlv_z", "msg_z", "failed", kOld, kOld);
    r.Attempt("att_z", "dlv_z", kOld);
    for (int64_t seq = 1; seq <= 3; ++seq) r.LogEntry(seq, kOld);
    r.LogEntry(4, kRecent);
  }

  std::unique_ptr<RetentionRows<Engine>> rows_;
  RetentionOptions options_;
};

TYPED_TEST_SUITE(RetentionCompareTest, StoreEngines, EngineName);

TYPED_TEST(RetentionCompareTest, PrunesWhatIsPastItsWindowAndKeepsUnfinishedWork) {
  this->Seed();
  const PruneReport r = Prune(this->engine_, this->options_, kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(r.skipped);
  EXPECT_EQ(Counts(r), "events=2 messages=2 deliveries=2 attempts=2 status_log=3");
  EXPECT_LE(r.max_rows_per_transaction, 3);
  EXPECT_EQ(this->rows_->Remaining(),
            "events: evt_b evt_g evt_z\n"
            "messages: msg_b msg_c msg_d msg_g msg_z\n"
            "deliveries: dlv_b1 dlv_b2 dlv_c dlv_d dlv_g dlv_z\n"
            "attempts: att_b1 att_g att_z\n"
            "status_log: 4\n");
  // A second pass finds nothing more.
  const PruneReport again = Prune(this->engine_, this->options_, kNow);
  ASSERT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.total(), 0);
}

TYPED_TEST(RetentionCompareTest, AKeyIsKeptItsFullDayUnderAShorterRetention) {
  RetentionRows<TypeParam>& r = *this->rows_;
  r.Message("msg_keyed_young", kNow - 2 * kRetentionHour, "", "k1");
  r.Delivery("dlv_keyed_young", "msg_keyed_young", "succeeded", kNow - 2 * kRetentionHour,
             kNow - 2 * kRetentionHour);
  r.Message("msg_keyed_old", kNow - 30 * kRetentionHour, "", "k2");
  r.Delivery("dlv_keyed_old", "msg_keyed_old", "succeeded", kNow - 30 * kRetentionHour,
             kNow - 30 * kRetentionHour);
  r.Message("msg_plain", kNow - 2 * kRetentionHour);
  r.Delivery("dlv_plain", "msg_plain", "succeeded", kNow - 2 * kRetentionHour,
             kNow - 2 * kRetentionHour);
  r.Message("msg_last", kNow - 2 * kRetentionHour);  // holds the newest delivery
  r.Delivery("dlv_last", "msg_last", "succeeded", kNow - 2 * kRetentionHour,
             kNow - 2 * kRetentionHour);
  this->options_.data = milliseconds(kRetentionHour);
  const PruneReport pruned = Prune(this->engine_, this->options_, kNow);
  ASSERT_TRUE(pruned.status.ok()) << pruned.status.ToString();
  EXPECT_EQ(this->rows_->Remaining(),
            "events:\n"
            "messages: msg_keyed_young msg_last\n"
            "deliveries: dlv_keyed_young dlv_last\n"
            "attempts:\n"
            "status_log:\n");
}

TYPED_TEST(RetentionCompareTest, ACutoffInTheFutureKeepsOnlyUnfinishedWorkAndTheNewestRows) {
  this->Seed();
  // A negative retention puts the cutoff a day after now: everything is past its window.
  this->options_.data = milliseconds(-kRetentionDay);
  this->options_.status_log = milliseconds(-kRetentionDay);
  const PruneReport r = Prune(this->engine_, this->options_, kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(this->rows_->Remaining(),
            "events: evt_b evt_z\n"
            "messages: msg_b msg_c msg_z\n"
            "deliveries: dlv_b1 dlv_b2 dlv_c dlv_z\n"
            "attempts: att_b1 att_z\n"
            "status_log: 4\n");
}

TYPED_TEST(RetentionCompareTest, ABatchBelowOneIsRefusedAndDeletesNothing) {
  this->Seed();
  const std::string before = this->rows_->Remaining();
  for (int batch : {0, -1}) {
    this->options_.batch_rows = batch;
    const PruneReport r = Prune(this->engine_, this->options_, kNow);
    EXPECT_EQ(r.status.kind(), ErrorKind::kInvalidField) << r.status.ToString();
    EXPECT_EQ(r.total(), 0);
    EXPECT_EQ(r.transactions, 0);
  }
  EXPECT_EQ(this->rows_->Remaining(), before);
}

TYPED_TEST(RetentionCompareTest, NoWindowsPruneNothing) {
  this->Seed();
  const std::string before = this->rows_->Remaining();
  this->options_.data.reset();
  this->options_.status_log.reset();
  const PruneReport r = Prune(this->engine_, this->options_, kNow);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.transactions, 0);
  EXPECT_EQ(this->rows_->Remaining(), before);
}

// The application reaper on both engines.
template <typename Engine>
class AppReaperCompareTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    rows_ = std::make_unique<RetentionRows<Engine>>(this->engine_);
    RetentionRows<Engine>& r = *rows_;
    r.Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at) VALUES"
        " ('app_gone', 'gone', 'Gone', 0, 0, 5), ('app_live', 'live', 'Live', 0, 0, NULL)");
    for (const std::string app : {"app_gone", "app_live"}) {
      std::string sql =
          "INSERT INTO sources (id, app_id, name, provider, secret, created_at, updated_at)"
          " VALUES ('src_";
      sql += app + "', '" + app + "', 's', 'github', 'x', 0, 0)";
      r.Exec(sql);
      sql = "INSERT INTO app_tokens (id, app_id, token_hash, created_at) VALUES ('tok_";
      sql += app + "', '" + app + "', 'h_" + app + "', 0)";
      r.Exec(sql);
      sql = "INSERT INTO event_types (app_id, event_type, count, last_seen) VALUES ('";
      sql += app + "', 'a.b', 3, 0)";
      r.Exec(sql);
      for (int i = 0; i < 5; ++i) {
        const std::string n = app + "_" + std::to_string(i);
        r.Message("msg_" + n, 0, "", "", app);
        r.Delivery("dlv_" + n, "msg_" + n, i == 0 ? "pending" : "failed", 0, 0, app);
        r.Attempt("att_" + n, "dlv_" + n, 0);
      }
    }
  }

  std::string AppRows() {
    std::string out;
    for (const char* table : {"applications", "sources", "app_tokens"}) {
      std::string sql = "SELECT id FROM ";
      sql += table;
      sql += " ORDER BY id";
      out += table;
      out += ":" + RetentionRows<Engine>::Line(this->engine_.Rows(sql, 1)) + "\n";
    }
    out += "event_types:" +
           RetentionRows<Engine>::Line(
               this->engine_.Rows("SELECT app_id FROM event_types ORDER BY app_id", 1)) +
           "\n";
    return out;
  }

  std::unique_ptr<RetentionRows<Engine>> rows_;
};

TYPED_TEST_SUITE(AppReaperCompareTest, StoreEngines, EngineName);

TYPED_TEST(AppReaperCompareTest, ADeletedApplicationGoesWholeAndALiveOneStays) {
  const ReapReport r = Reap(this->engine_, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.applications, 1);
  EXPECT_EQ(r.messages, 5);
  EXPECT_EQ(r.deliveries, 5);
  EXPECT_EQ(this->rows_->Remaining(),
            "events:\n"
            "messages: msg_app_live_0 msg_app_live_1 msg_app_live_2 msg_app_live_3 msg_app_live_4\n"
            "deliveries: dlv_app_live_0 dlv_app_live_1 dlv_app_live_2 dlv_app_live_3 "
            "dlv_app_live_4\n"
            "attempts: att_app_live_0 att_app_live_1 att_app_live_2 att_app_live_3 "
            "att_app_live_4\n"
            "status_log:\n");
  EXPECT_EQ(this->AppRows(),
            "applications: app_default app_live\n"
            "sources: src_app_live\n"
            "app_tokens: tok_app_live\n"
            "event_types: app_live\n");
  // Nothing is left to do.
  const ReapReport again = Reap(this->engine_, 2);
  ASSERT_TRUE(again.status.ok()) << again.status.ToString();
  EXPECT_EQ(again.applications + again.messages + again.deliveries, 0);
}

TYPED_TEST(AppReaperCompareTest, ABatchBelowOneIsRefusedAndRemovesNothing) {
  const std::string before = this->rows_->Remaining() + this->AppRows();
  for (int batch : {0, -3}) {
    const ReapReport r = Reap(this->engine_, batch);
    EXPECT_EQ(r.status.kind(), ErrorKind::kInvalidField) << r.status.ToString();
    EXPECT_EQ(r.applications, 0);
  }
  EXPECT_EQ(this->rows_->Remaining() + this->AppRows(), before);
}

// A longer mixed history, pruned in batches of 5 on both engines: identical tables and reports.
TEST(RetentionEnginesTest, AMixedHistoryPrunedInSmallBatchesLeavesTheSameRowsOnBoth) {
  if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
  SqliteEngine sqlite;
  PgEngine pg;
  ASSERT_TRUE(sqlite.SetUp().ok());
  Status s = pg.SetUp();
  ASSERT_TRUE(s.ok()) << s.ToString();
  RetentionRows<SqliteEngine> on_sqlite(sqlite);
  RetentionRows<PgEngine> on_pg(pg);
  const char* statuses[] = {"succeeded", "failed", "pending", "retrying"};
  auto seed = [&](auto& rows, std::mt19937& rnd) {
    int64_t status_seq = 0;
    for (int i = 0; i < 120; ++i) {
      const std::string n = std::to_string(1000 + i);
      // Old, then inside the window from the 100th on, where the walks stop.
      const int64_t at = (i < 100 ? kOld : kRecent) + i;
      const bool from_event = (rnd() % 2) == 0;
      if (from_event || (rnd() % 4) == 0) rows.Event("evt_" + n, at);
      rows.Message("msg_" + n, at, from_event ? "evt_" + n : "",
                   (rnd() % 5) == 0 ? "key-" + n : "");
      const int deliveries = static_cast<int>((rnd() % 4));
      for (int d = 0; d < deliveries; ++d) {
        const std::string dn = n + "_" + std::to_string(d);
        const std::string status = statuses[(rnd() % 10) < 8 ? rnd() % 2 : 2 + rnd() % 2];
        rows.Delivery("dlv_" + dn, "msg_" + n, status, at, (rnd() % 10) == 0 ? kRecent : at);
        const int attempts = static_cast<int>((rnd() % 3));
        for (int a = 0; a < attempts; ++a)
          rows.Attempt("att_" + dn + "_" + std::to_string(a), "dlv_" + dn, at);
      }
      rows.LogEntry(++status_seq, at);
    }
  };
  std::mt19937 random_sqlite(7), random_pg(7);
  seed(on_sqlite, random_sqlite);
  seed(on_pg, random_pg);
  ASSERT_EQ(on_sqlite.Remaining(), on_pg.Remaining());
  RetentionOptions options;
  options.data = milliseconds(30 * kRetentionDay);
  options.status_log = milliseconds(30 * kRetentionDay);
  options.batch_rows = 5;
  options.pause_factor = 0;
  const PruneReport on_s = Prune(sqlite, options, kNow);
  const PruneReport on_p = Prune(pg, options, kNow);
  ASSERT_TRUE(on_s.status.ok()) << on_s.status.ToString();
  ASSERT_TRUE(on_p.status.ok()) << on_p.status.ToString();
  EXPECT_GT(on_s.messages, 10);
  EXPECT_GT(on_s.events, 5);
  EXPECT_EQ(Counts(on_s), Counts(on_p));
  EXPECT_EQ(on_s.transactions, on_p.transactions);
  EXPECT_EQ(on_s.max_rows_per_transaction, on_p.max_rows_per_transaction);
  EXPECT_EQ(on_sqlite.Remaining(), on_pg.Remaining());
}

}  // namespace
}  // namespace hookd::testing
