// Endpoints with two nodes on one PostgreSQL (two PgPools, as two hookd processes have): an
// endpoint disabled through one node is seen disabled by the other's AllVersioned at a higher
// version; every bump of the endpoints version is announced on hookd_endpoints when it commits
// (with the new version, never for a rolled-back change), so a PgWakeListener on another
// connection is woken within a second; and a node's EndpointCache, invalidated by that listener,
// serves the other node's change within a second although its TTL is an hour.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "deliver/endpoint_cache.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_listener.h"
#include "storage/pg/pg_wake_listener.h"
#include "tests/testing/store_engines.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// No back-stop poll during a test: every wake seen is a notification's or the first one.
constexpr milliseconds kNoBackstop{600'000};

Endpoint MakeEndpoint(const std::string& id) {
  Endpoint e;
  e.id = id;
  e.url = "https://receiver.example/hooks";
  e.secret = "whsec_current";
  e.created_at = 1'700'000'000'000;
  e.updated_at = 1'700'000'000'000;
  return e;
}

class PgEndpointsNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    other_pool_ = engine_.NewPool();
    node_a_ = std::make_unique<PgEndpointStore>(engine_.pool());
    node_b_ = std::make_unique<PgEndpointStore>(*other_pool_);
    ASSERT_TRUE(node_a_->Insert(MakeEndpoint("ep_1")).ok());
  }

  // Disables ep_1 through node A.
  void DisableThroughA() {
    auto e = node_a_->Get("ep_1");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    e->disabled = !e->disabled;
    e->disabled_reason = "by hand";
    ASSERT_TRUE(node_a_->Update(*e).ok());
  }

  PgEngine engine_;
  std::unique_ptr<PgPool> other_pool_;  // the second node's
  std::unique_ptr<PgEndpointStore> node_a_;
  std::unique_ptr<PgEndpointStore> node_b_;
};

TEST_F(PgEndpointsNodesTest, AnEndpointDisabledThroughOneNodeIsSeenDisabledByTheOther) {
  auto before = node_b_->AllVersioned();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->endpoints.size(), 1u);
  EXPECT_FALSE(before->endpoints[0].disabled);

  auto e = node_a_->Get("ep_1");
  ASSERT_TRUE(e.ok());
  e->disabled = true;
  e->disabled_reason = "by hand";
  ASSERT_TRUE(node_a_->Update(*e).ok());

  auto after = node_b_->AllVersioned();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_GT(after->version, before->version);
  ASSERT_EQ(after->endpoints.size(), 1u);
  EXPECT_TRUE(after->endpoints[0].disabled);
  EXPECT_EQ(after->endpoints[0].disabled_reason, "by hand");
  auto version = node_b_->Version();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, after->version);
}

TEST_F(PgEndpointsNodesTest, EachBumpIsAnnouncedWithItsVersionWhenItCommits) {
  auto listener = PgListener::Connect(other_pool_->url());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  ASSERT_TRUE((*listener)->Listen(kPgEndpointsChannel).ok());

  // A rolled-back change announces nothing.
  {
    auto conn = engine_.pool().Acquire();
    ASSERT_TRUE(conn.ok());
    auto txn = PgTransaction::Begin(**conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*conn)->Exec("UPDATE endpoints SET disabled = 1 WHERE id = 'ep_1'").ok());
    ASSERT_TRUE((*txn)->Rollback().ok());
  }
  auto none = (*listener)->Wait(milliseconds(200));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());

  DisableThroughA();
  auto version = node_a_->Version();
  ASSERT_TRUE(version.ok());
  auto got = (*listener)->Wait(milliseconds(1000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].channel, kPgEndpointsChannel);
  EXPECT_EQ((*got)[0].payload, std::to_string(*version));

  // The engine's own fields move no version and announce nothing.
  {
    auto conn = engine_.pool().Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Exec("UPDATE endpoints SET circuit = 'open', failing_since = 1").ok());
  }
  none = (*listener)->Wait(milliseconds(200));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(PgEndpointsNodesTest, AListenerOnTheOtherNodeIsWokenWithinASecondOfAnUpdate) {
  PgWakeListenerOptions options;
  options.backstop_poll = kNoBackstop;
  PgWakeListener listener(
      other_pool_->url(), kPgEndpointsChannel, [] {}, options);
  ASSERT_TRUE(listener.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return listener.wakes() == 1; }));  // the first, at the start

  for (int i = 0; i < 3; ++i) {
    const uint64_t before = listener.wakes();
    DisableThroughA();
    const auto committed = SteadyClock::now();
    ASSERT_TRUE(
        WaitUntil([&] { return listener.wakes() > before; }, milliseconds(5000), milliseconds(1)));
    EXPECT_LT(SteadyClock::now() - committed, milliseconds(1000));
  }
  listener.Stop();
}

TEST_F(PgEndpointsNodesTest, TheOtherNodesCacheInvalidatedByItsListenerServesTheChange) {
  SystemClock clock;
  EndpointCache cache(*node_b_, clock, std::chrono::hours(1));
  auto first = cache.Get();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ((*first)->size(), 1u);
  EXPECT_FALSE((**first)[0].disabled);

  PgWakeListenerOptions options;
  options.backstop_poll = kNoBackstop;
  PgWakeListener listener(
      other_pool_->url(), kPgEndpointsChannel, [&cache] { cache.Invalidate(); }, options);
  ASSERT_TRUE(listener.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return listener.wakes() == 1; }));

  DisableThroughA();
  const auto committed = SteadyClock::now();
  auto disabled_in_cache = [&] {
    auto snapshot = cache.Get();
    return snapshot.ok() && (*snapshot)->size() == 1 && (**snapshot)[0].disabled;
  };
  ASSERT_TRUE(WaitUntil(disabled_in_cache, milliseconds(5000), milliseconds(5)));
  EXPECT_LT(SteadyClock::now() - committed, milliseconds(1000));
  listener.Stop();
}

}  // namespace
}  // namespace hookd::testing
