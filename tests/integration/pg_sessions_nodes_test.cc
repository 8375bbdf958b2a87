// Browser sessions with two nodes on one PostgreSQL (two PgPools, as two hookd processes have):
// each node's Sessions answers sessions it validated from memory for cache_ttl, so a sign-out
// through one node would be honoured by the other only when its cache entry ages out. Every
// statement deleting sessions is announced on hookd_sessions when it commits (migration
// 0004_sessions_notify); a PgWakeListener on it that calls ForgetCached makes the other node
// refuse the session within a second, whatever its cache_ttl.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_listener.h"
#include "storage/pg/pg_session_store.h"
#include "storage/pg/pg_wake_listener.h"
#include "tests/testing/store_engines.h"
#include "tests/testing/wait.h"
#include "web/sessions.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// No back-stop poll during a test: every wake seen is a notification's or the first one.
constexpr milliseconds kNoBackstop{600'000};

class PgSessionsNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    other_pool_ = engine_.NewPool();
    store_a_ = std::make_unique<PgSessionStore>(engine_.pool());
    store_b_ = std::make_unique<PgSessionStore>(*other_pool_);
    SessionOptions options;
    options.cache_ttl = std::chrono::hours(1);  // only a notification can make B ask again
    const std::string fingerprint = Sessions::TokenFingerprint("admin-token-0123456789abcdef");
    node_a_ = std::make_unique<Sessions>(*store_a_, clock_, random_, fingerprint, options);
    node_b_ = std::make_unique<Sessions>(*store_b_, clock_, random_, fingerprint, options);
  }

  // A session made through node A and validated (so cached) by node B.
  std::string SignedInOnBoth() {
    auto session = node_a_->Create();
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    if (!session.ok()) return "";
    EXPECT_TRUE(node_b_->Validate(session->value).ok());
    return session->value;
  }

  PgEngine engine_;
  SystemClock clock_;
  SeededRandom random_{42};
  std::unique_ptr<PgPool> other_pool_;  // the second node's
  std::unique_ptr<PgSessionStore> store_a_;
  std::unique_ptr<PgSessionStore> store_b_;
  std::unique_ptr<Sessions> node_a_;
  std::unique_ptr<Sessions> node_b_;
};

TEST_F(PgSessionsNodesTest, WithoutTheNotificationTheOtherNodeAnswersFromMemoryUntilItsTtl) {
  const std::string value = SignedInOnBoth();
  ASSERT_TRUE(node_a_->Revoke(value).ok());
  EXPECT_EQ(node_a_->Validate(value).kind(), ErrorKind::kUnauthenticated);
  // What the listener is for: B still has it in memory.
  EXPECT_TRUE(node_b_->Validate(value).ok());
  node_b_->ForgetCached();
  EXPECT_EQ(node_b_->Validate(value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(PgSessionsNodesTest, EveryDeletingStatementIsAnnouncedWhenItCommits) {
  auto listener = PgListener::Connect(other_pool_->url());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  ASSERT_TRUE((*listener)->Listen(kPgSessionsChannel).ok());

  const std::string value = SignedInOnBoth();
  auto quiet = (*listener)->Wait(milliseconds(200));
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->empty()) << "a sign-in or a touch announces nothing";

  // A rolled-back delete announces nothing.
  {
    auto conn = engine_.pool().Acquire();
    ASSERT_TRUE(conn.ok());
    auto txn = PgTransaction::Begin(**conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*conn)->Exec("DELETE FROM sessions").ok());
    ASSERT_TRUE((*txn)->Rollback().ok());
  }
  auto none = (*listener)->Wait(milliseconds(200));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(node_a_->Revoke(value).ok());
  auto got = (*listener)->Wait(milliseconds(1000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].channel, kPgSessionsChannel);
}

TEST_F(PgSessionsNodesTest, ASessionSignedOutThroughOneNodeIsRefusedByTheOtherWithinASecond) {
  PgWakeListenerOptions options;
  options.backstop_poll = kNoBackstop;
  Sessions& b = *node_b_;
  PgWakeListener listener(
      other_pool_->url(), kPgSessionsChannel, [&b] { b.ForgetCached(); }, options);
  ASSERT_TRUE(listener.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return listener.wakes() == 1; }));  // the first, at the start

  for (int i = 0; i < 3; ++i) {
    const std::string value = SignedInOnBoth();
    const std::string other = SignedInOnBoth();
    ASSERT_TRUE(node_a_->Revoke(value).ok());
    const auto committed = SteadyClock::now();
    ASSERT_TRUE(
        WaitUntil([&] { return node_b_->Validate(value).kind() == ErrorKind::kUnauthenticated; },
                  milliseconds(5000), milliseconds(2)));
    EXPECT_LT(SteadyClock::now() - committed, milliseconds(1000));
    EXPECT_TRUE(node_b_->Validate(other).ok()) << "only the revoked session is refused";
  }
  listener.Stop();
}

}  // namespace
}  // namespace hookd::testing
