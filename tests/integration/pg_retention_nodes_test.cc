// Retention with two nodes on one PostgreSQL (two PgPools and two locks, as two hookd processes
// have): of two nodes trying the single runner's lock at once exactly one gets it, round after
// round; a node whose connection closes or whose session is killed (it died) loses the lock and
// the other gets it at its next try; a node that does not hold it skips its pass; and a pass
// running while the other node publishes and recovers deliveries never deletes a pending delivery
// or its message.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "deliver/message_request.h"
#include "storage/pg/pg_app_reaper_store.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_message_store.h"
#include "storage/pg/pg_retention_store.h"
#include "storage/pg/pg_singleton_lock.h"
#include "tests/testing/retention_fixtures.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;

class PgRetentionNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    other_pool_ = engine_.NewPool();
  }

  std::unique_ptr<PgSingletonLock> Lock() {
    return std::make_unique<PgSingletonLock>(engine_.pool().url(), kPgRetentionLockKey);
  }
  int64_t Count(const std::string& sql) { return std::stoll(engine_.Text(sql)); }
  // Whether the server still has a session with this pid.
  bool SessionAlive(int pid) {
    return Count("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid)) > 0;
  }

  PgEngine engine_;
  std::unique_ptr<PgPool> other_pool_;  // the second node's
};

TEST_F(PgRetentionNodesTest, OfTwoNodesTryingAtOnceExactlyOneGetsTheLock) {
  constexpr int kRounds = 200;
  auto a = Lock(), b = Lock();
  int won_a = 0, won_b = 0;
  for (int round = 0; round < kRounds; ++round) {
    Result<bool> got_a = Status::Internal("not run"), got_b = Status::Internal("not run");
    std::latch start(2);
    std::thread ta([&] {
      start.arrive_and_wait();
      got_a = a->TryAcquire();
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      got_b = b->TryAcquire();
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(got_a.ok()) << got_a.status().ToString();
    ASSERT_TRUE(got_b.ok()) << got_b.status().ToString();
    ASSERT_NE(*got_a, *got_b) << "round " << round << ": both or neither got it";
    EXPECT_EQ(a->held(), *got_a);
    EXPECT_EQ(b->held(), *got_b);
    won_a += *got_a ? 1 : 0;
    won_b += *got_b ? 1 : 0;
    // The holder trying again still holds it (once: a second session lock would need two
    // unlocks); the other still does not get it.
    PgSingletonLock& holder = *got_a ? *a : *b;
    PgSingletonLock& other = *got_a ? *b : *a;
    auto again = holder.TryAcquire();
    ASSERT_TRUE(again.ok() && *again);
    auto refused = other.TryAcquire();
    ASSERT_TRUE(refused.ok());
    EXPECT_FALSE(*refused) << "round " << round;
    holder.Release();
    EXPECT_EQ(
        Count("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'"
              " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        0)
        << "round " << round << ": the lock outlived Release";
  }
  std::cout << "node a won " << won_a << " rounds, node b " << won_b << "\n";
  EXPECT_EQ(won_a + won_b, kRounds);
}

TEST_F(PgRetentionNodesTest, WhenTheHoldersConnectionClosesTheOtherGetsItAtItsNextTry) {
  auto a = Lock(), b = Lock();
  ASSERT_TRUE(*a->TryAcquire());
  ASSERT_FALSE(*b->TryAcquire());
  const int pid = a->backend_pid();
  a->Drop();  // the node's process ends: its connection closes without unlocking
  // The server ends the session a moment after the connection closes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (SessionAlive(pid) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(5));
  ASSERT_FALSE(SessionAlive(pid));
  auto got = b->TryAcquire();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got);
  // And the node that came back does not get it while b holds it.
  auto back = a->TryAcquire();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(*back);
}

TEST_F(PgRetentionNodesTest, WhenTheHoldersSessionIsKilledItLosesTheLockAndTheOtherGetsIt) {
  auto a = Lock(), b = Lock();
  ASSERT_TRUE(*a->TryAcquire());
  // The session killed on the server (pg_terminate_backend waits up to 5 s for it to end).
  EXPECT_EQ(
      engine_.Text("SELECT pg_terminate_backend(" + std::to_string(a->backend_pid()) + ", 5000)"),
      "t");
  auto got = b->TryAcquire();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got);
  // a learns it lost the lock at its next check, and does not get it back while b holds it.
  EXPECT_FALSE(a->StillHeld());
  EXPECT_FALSE(a->held());
  auto back = a->TryAcquire();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(*back);
}

TEST_F(PgRetentionNodesTest, ANodeWithoutTheLockSkipsItsPassAndTheHolderPrunes) {
  RetentionRows<PgEngine> rows(engine_);
  rows.Delivered("a", kRetentionDay);
  rows.Delivered("b", kRetentionDay);
  rows.Message("msg_last", kRetentionDay);
  rows.Delivery("dlv_last", "msg_last", "failed", kRetentionDay, kRetentionDay);
  RetentionOptions options;
  options.data = milliseconds(30 * kRetentionDay);
  PgRetentionStore on_a(engine_.pool(), options), on_b(*other_pool_, options);
  auto lock_a = Lock(), lock_b = Lock();
  // a is in a pass (holds the lock): b's pass is skipped and deletes nothing.
  ASSERT_TRUE(*lock_a->TryAcquire());
  const PruneReport skipped = on_b.RunOnce(100 * kRetentionDay, *lock_b);
  ASSERT_TRUE(skipped.status.ok()) << skipped.status.ToString();
  EXPECT_TRUE(skipped.skipped);
  EXPECT_EQ(skipped.total(), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 3);
  lock_a->Release();
  // At its next interval b gets it, prunes, and lets it go at the end of the pass.
  const PruneReport ran = on_b.RunOnce(100 * kRetentionDay, *lock_b);
  ASSERT_TRUE(ran.status.ok()) << ran.status.ToString();
  EXPECT_FALSE(ran.skipped);
  EXPECT_EQ(ran.messages, 2);
  EXPECT_EQ(ran.events, 2);
  EXPECT_FALSE(lock_b->held());
  EXPECT_TRUE(*lock_a->TryAcquire());
}

TEST_F(PgRetentionNodesTest, ANodeWithoutTheReaperLockSkipsItsRunAndTheHolderReaps) {
  RetentionRows<PgEngine> rows(engine_);
  rows.Exec(
      "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at)"
      " VALUES ('app_gone', 'gone', 'Gone', 0, 0, 5)");
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(i);
    rows.Message("msg_" + n, 0, "", "", "app_gone");
    rows.Delivery("dlv_" + n, "msg_" + n, "failed", 0, 0, "app_gone");
  }
  PgAppReaperStore on_a(engine_.pool(), 2), on_b(*other_pool_, 2);
  PgSingletonLock lock_a(engine_.pool().url(), kPgAppReaperLockKey);
  PgSingletonLock lock_b(engine_.pool().url(), kPgAppReaperLockKey);
  // The retention lock is another key: holding it does not stop the reaper.
  auto retention = Lock();
  ASSERT_TRUE(*retention->TryAcquire());
  ASSERT_TRUE(*lock_a.TryAcquire());
  const ReapReport skipped = on_b.RunOnce(lock_b);
  ASSERT_TRUE(skipped.status.ok()) << skipped.status.ToString();
  EXPECT_TRUE(skipped.skipped);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages WHERE app_id = 'app_gone'"), 3);
  lock_a.Release();
  const ReapReport ran = on_b.RunOnce(lock_b);
  ASSERT_TRUE(ran.status.ok()) << ran.status.ToString();
  EXPECT_FALSE(ran.skipped);
  EXPECT_EQ(ran.applications, 1);
  EXPECT_EQ(ran.messages, 3);
  EXPECT_EQ(ran.deliveries, 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applications WHERE id = 'app_gone'"), 0);
  EXPECT_EQ(on_a.RunOnce(lock_a).applications, 0);
}

TEST_F(PgRetentionNodesTest, RetentionAndTheReaperOnTwoNodesOverTheSameRowsDeleteEachOnce) {
  // A deleted application's old, final messages: node a's retention pass and node b's reaper
  // both want them, at once, in batches of different sizes.
  RetentionRows<PgEngine> rows(engine_);
  rows.Exec(
      "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at)"
      " VALUES ('app_gone', 'gone', 'Gone', 0, 0, 5)");
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    const std::string n = std::to_string(1000 + i);
    rows.Message("msg_" + n, kRetentionDay, "", "", "app_gone");
    rows.Delivery("dlv_" + n, "msg_" + n, "failed", kRetentionDay, kRetentionDay, "app_gone");
    rows.Attempt("att_" + n, "dlv_" + n, kRetentionDay);
  }
  rows.Message("msg_last", kRetentionDay);  // the newest delivery's, which retention keeps
  rows.Delivery("dlv_last", "msg_last", "failed", kRetentionDay, kRetentionDay);
  RetentionOptions options;
  options.data = milliseconds(30 * kRetentionDay);
  options.batch_rows = 4;
  PgRetentionStore retention(engine_.pool(), options);
  PgAppReaperStore reaper(*other_pool_, 5);
  auto retention_lock = Lock();
  PgSingletonLock reaper_lock(engine_.pool().url(), kPgAppReaperLockKey);
  PruneReport pruned;
  ReapReport reaped;
  std::latch start(2);
  std::thread a([&] {
    start.arrive_and_wait();
    pruned = retention.RunOnce(100 * kRetentionDay, *retention_lock);
  });
  std::thread b([&] {
    start.arrive_and_wait();
    reaped = reaper.RunOnce(reaper_lock);
  });
  a.join();
  b.join();
  ASSERT_TRUE(pruned.status.ok()) << pruned.status.ToString();
  ASSERT_TRUE(reaped.status.ok()) << reaped.status.ToString();
  std::cout << "retention deleted " << pruned.messages << " messages, the reaper "
            << reaped.messages << "\n";
  EXPECT_EQ(pruned.messages + reaped.messages, kMessages);
  EXPECT_EQ(pruned.deliveries + reaped.deliveries, kMessages);
  EXPECT_EQ(pruned.attempts, pruned.messages);
  EXPECT_EQ(reaped.applications, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attempts"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applications WHERE id = 'app_gone'"), 0);
}

TEST_F(PgRetentionNodesTest, AServerThatCannotBeReachedIsUnavailableAndNotHeld) {
  PgConnectOptions options;
  options.connect_timeout = milliseconds(500);
  PgSingletonLock lock("postgresql://postgres@127.0.0.1:1/postgres", kPgRetentionLockKey, options);
  auto got = lock.TryAcquire();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().kind(), ErrorKind::kUnavailable) << got.status().ToString();
  EXPECT_FALSE(lock.held());
  EXPECT_FALSE(lock.StillHeld());
  RetentionOptions retention;
  retention.data = milliseconds(kRetentionDay);
  PgRetentionStore store(engine_.pool(), retention);
  const PruneReport r = store.RunOnce(100 * kRetentionDay, lock);
  EXPECT_EQ(r.status.kind(), ErrorKind::kUnavailable);
  EXPECT_FALSE(r.skipped);
  EXPECT_EQ(r.transactions, 0);
}

TEST_F(PgRetentionNodesTest, AHolderThatLosesTheLockMidPassStopsThere) {
  RetentionRows<PgEngine> rows(engine_);
  for (int i = 0; i < 20; ++i) rows.Delivered(std::to_string(100 + i), kRetentionDay);
  rows.Message("msg_last", kRetentionDay);
  rows.Delivery("dlv_last", "msg_last", "failed", kRetentionDay, kRetentionDay);
  RetentionOptions options;
  options.data = milliseconds(30 * kRetentionDay);
  options.batch_rows = 3;  // one message with its delivery and attempt per transaction
  PgRetentionStore store(engine_.pool(), options);
  auto lock = Lock();
  // The lock's session is killed on the server as soon as the pass has taken it.
  std::atomic<bool> stop{false};
  std::thread killer([&] {
    auto conn = PgConn::Connect(engine_.pool().url());
    ASSERT_TRUE(conn.ok());
    while (!stop.load()) {
      auto r = (*conn)->Exec(
          "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks"
          " WHERE locktype = 'advisory' AND granted"
          " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (r->rows() > 0) return;
    }
  });
  const PruneReport r = store.RunOnce(100 * kRetentionDay, *lock);
  stop.store(true);
  killer.join();
  EXPECT_FALSE(lock->held());
  // Either the pass was done before the kill was noticed, or it stopped with kUnavailable.
  if (!r.status.ok()) {
    EXPECT_EQ(r.status.kind(), ErrorKind::kUnavailable) << r.status.ToString();
    EXPECT_LT(r.messages, 20);
  } else {
    EXPECT_EQ(r.messages, 20);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), 21 - r.messages);
  std::cout << "pruned " << r.messages << " of 20 messages before the lock was lost\n";
}

TEST_F(PgRetentionNodesTest, ADeliveryMadePendingWhileThePassWaitsForItKeepsItsMessage) {
  RetentionRows<PgEngine> rows(engine_);
  rows.Message("msg_x", kRetentionDay);
  rows.Delivery("dlv_x", "msg_x", "failed", kRetentionDay, kRetentionDay);
  rows.Attempt("att_x", "dlv_x", kRetentionDay);
  rows.Message("msg_last", kRetentionDay);
  rows.Delivery("dlv_last", "msg_last", "failed", kRetentionDay, kRetentionDay);
  // Node b recovers dlv_x in a transaction it has not committed yet: the pass reads it failed.
  auto conn = other_pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  auto txn = PgTransaction::Begin(**conn);
  ASSERT_TRUE(txn.ok());
  auto updated = (*conn)->Exec(
      "UPDATE deliveries SET status = 'pending', next_attempt_at = 1, updated_at = 1"
      " WHERE id = 'dlv_x'");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  RetentionOptions options;
  options.data = milliseconds(30 * kRetentionDay);
  PgRetentionStore store(engine_.pool(), options);
  auto lock = Lock();
  PruneReport r;
  std::thread pass([&] { r = store.RunOnce(100 * kRetentionDay, *lock); });
  // Until the pass waits for dlv_x's row lock; then node b commits.
  bool waiting = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    waiting = Count(
                  "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                  " AND datname = current_database()"
                  " AND query LIKE '%FROM deliveries WHERE message_id%FOR UPDATE%'") > 0;
    if (!waiting) std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_TRUE(waiting) << "the pass never waited for the delivery's row";
  ASSERT_TRUE((*txn)->Commit().ok());
  pass.join();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages WHERE id = 'msg_x'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE id = 'dlv_x' AND status = 'pending'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attempts WHERE id = 'att_x'"), 1);
}

TEST_F(PgRetentionNodesTest, APassWhileTheOtherNodePublishesNeverDeletesPendingWork) {
  // Node b publishes messages fanned out to two endpoints (pending deliveries, as it would) and
  // recovers old failed deliveries (making them pending again, as a retry does) while node a
  // prunes in a loop with every row past its window.
  PgEndpointStore endpoints(*other_pool_);
  for (const char* id : {"ep_1", "ep_2"}) {
    Endpoint e;
    e.id = id;
    e.app_id = "app_default";
    e.url = std::string("http://127.0.0.1:9/") + id;
    e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    ASSERT_TRUE(endpoints.Insert(e).ok());
  }
  RetentionRows<PgEngine> rows(engine_);
  constexpr int kOldFailed = 600;
  for (int i = 0; i < kOldFailed; ++i) {
    const std::string n = std::to_string(1000 + i);
    rows.Message("msg_old" + n, kRetentionDay);
    rows.Delivery("dlv_old" + n, "msg_old" + n, "failed", kRetentionDay, kRetentionDay);
    rows.Attempt("att_old" + n, "dlv_old" + n, kRetentionDay);
  }
  auto all = endpoints.All();
  ASSERT_TRUE(all.ok());
  const EndpointSnapshot snapshot(std::move(all).value());
  SystemClock clock;
  SeededRandom random(3);
  PgMessageStore publisher(*other_pool_, clock, random);

  std::atomic<bool> done{false};
  std::vector<std::string> published;  // node b's, read once it has finished
  std::vector<std::string> recovered;
  std::thread node_b([&] {
    for (int i = 0; i < 150; ++i) {
      auto m = PrepareMessage({{"event_type", "order.created"}, {"payload", {{"n", i}}}},
                              std::nullopt, "app_default", clock, random);
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      std::vector<NewMessage> batch{std::move(m).value()};
      int made = 0;
      auto out = publisher.Commit(batch, snapshot, made);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ASSERT_TRUE(out->front().ok()) << out->front().status().ToString();
      published.push_back((*out->front())["id"]);
      // A recovery of an old failed delivery, as retrying it does.
      auto conn = other_pool_->Acquire();
      ASSERT_TRUE(conn.ok());
      const std::string id = "dlv_old" + std::to_string(1000 + (i * 7) % kOldFailed);
      auto r = (*conn)->Exec(
          "UPDATE deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2"
          " WHERE id = $1 AND status = 'failed' RETURNING id",
          {id, clock.NowUnixMillis()});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (r->rows() > 0) recovered.push_back(id);
    }
  });
  std::thread finished([&] {
    node_b.join();
    done.store(true);
  });
  RetentionOptions options;
  options.data = milliseconds(-kRetentionDay);  // everything past its window
  options.batch_rows = 4;  // short transactions, so b's writes fall between and inside them
  PgRetentionStore store(engine_.pool(), options);
  auto lock = Lock();
  int passes = 0;
  int64_t pruned = 0;
  bool last = false;
  while (!last) {
    last = done.load();  // one more pass once node b has finished
    const PruneReport r = store.RunOnce(clock.NowUnixMillis(), *lock);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    ++passes;
    pruned += r.messages;
  }
  finished.join();
  std::cout << passes << " passes pruned " << pruned << " messages; " << published.size()
            << " published, " << recovered.size() << " recovered meanwhile\n";
  ASSERT_EQ(published.size(), 150u);
  EXPECT_GT(pruned, 0);
  EXPECT_GT(recovered.size(), 0u);
  for (const std::string& id : published) {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM messages WHERE id = '" + id + "'"), 1) << id;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE message_id = '" + id + "'"), 2) << id;
  }
  for (const std::string& id : recovered) {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries d JOIN messages m ON m.id = d.message_id"
                    " WHERE d.id = '" +
                    id + "' AND d.status = 'pending'"),
              1)
        << id;
  }
  // Every pending delivery still has its message, and nothing final and old is left but the
  // newest delivery's message.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'"),
            static_cast<int64_t>(2 * published.size() + recovered.size()));
}

}  // namespace
}  // namespace hookd::testing
