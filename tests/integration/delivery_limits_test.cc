// Per-endpoint limits of the delivery engine, against an in-process receiver.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/scripted_receiver.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Attempts that a receiver holds stay open: none is cut and retried while a test looks.
Settings LongTimeout() { return LocalDeliverySettings({milliseconds(200)}, milliseconds(60'000)); }

// Publishes `n` messages of `event_type`.
void Publish(TestServer& t, int n, const std::string& event_type = "x.y") {
  for (int i = 0; i < n; ++i) t.PostMessage(event_type, {{"i", i}});
}

TEST(DeliveryLimits, ConcurrencyPerEndpointIsCapped) {
  ScriptedReceiver rx;
  rx.Script("/hook", {{200, "ok", {}, milliseconds(150)}});
  TestServer t("", nullptr, LocalDeliverySettings());
  t.CreateEndpoint({{"url", rx.Url("/hook")}});
  Publish(t, 40);
  EXPECT_TRUE(WaitUntil([&] { return rx.Count("/hook") >= 40; }, seconds(30)));
  EXPECT_EQ(rx.Count("/hook"), 40u);
  EXPECT_LE(rx.MaxOpen(), 8);  // DeliveryEngineOptions::per_endpoint_concurrency
  EXPECT_GE(rx.MaxOpen(), 2);  // and yet attempts do run in parallel
}

TEST(DeliveryLimits, RateLimitPerSecondSpreadsAttempts) {
  ScriptedReceiver rx;
  TestServer t("", nullptr, LocalDeliverySettings());
  t.CreateEndpoint({{"url", rx.Url("/hook")}, {"rate_limit_per_second", 5}});
  Publish(t, 15);
  EXPECT_TRUE(WaitUntil([&] { return rx.Count("/hook") >= 15; }, seconds(30)));
  std::vector<Received> got = rx.Requests("/hook");
  ASSERT_EQ(got.size(), 15u);
  // 5 in any one-second window: 15 need at least 2 s. Load only makes it slower. (Arrival times
  // at the receiver bunch on a loaded machine; the exact per-window bound is checked on the
  // engine's clock below.)
  EXPECT_GE(got.back().at - got.front().at, milliseconds(1950));
}

// On the engine's clock: with a backlog of 60 and a limit of 20, 20 attempts start at once and
// no more until a second after them (a bucket that started full let 20 more through within that
// second: 44 in the first second were seen).
TEST(DeliveryLimits, RateLimitPerSecondIsNeverExceededInAnyOneSecondWindow) {
  ScriptedReceiver rx;
  FakeClock clock(1'767'225'600'000);
  TestServer t("", nullptr, LocalDeliverySettings(), &clock);
  t.CreateEndpoint({{"url", rx.Url("/hook")}, {"rate_limit_per_second", 20}});
  Publish(t, 60);
  // Each check waits on the real clock for attempts that must not start (only a false pass is
  // possible on a slow machine, never a false failure), then for those that must.
  auto settle = [&](milliseconds advance) {
    clock.Advance(advance);
    t.server().WakeDelivery();
    std::this_thread::sleep_for(milliseconds(300));
  };
  EXPECT_TRUE(WaitUntil([&] { return rx.Count("/hook") >= 20; }, seconds(30)));
  settle(milliseconds(0));
  EXPECT_EQ(rx.Count("/hook"), 20u);
  settle(milliseconds(500));
  EXPECT_EQ(rx.Count("/hook"), 20u) << "more than 20 started within one second";
  settle(milliseconds(499));
  EXPECT_EQ(rx.Count("/hook"), 20u) << "more than 20 started within one second";
  clock.Advance(milliseconds(1));  // a second after the first 20
  t.server().WakeDelivery();
  EXPECT_TRUE(WaitUntil([&] { return rx.Count("/hook") >= 40; }, seconds(30)));
  settle(milliseconds(999));
  EXPECT_EQ(rx.Count("/hook"), 40u) << "more than 20 started within one second";
}

// No wall-clock bound: the slow endpoint's receiver holds every attempt until the end of the
// test, so its backlog of ~290 queued deliveries is there for certain while the fast endpoint's
// deliveries arrive. An engine that let one endpoint's backlog hold up another would never
// deliver them, and the wait would fail however long it was.
TEST(DeliveryLimits, ABacklogOnOneEndpointDoesNotHoldUpAnother) {
  ScriptedReceiver slow, fast;
  slow.Script("/slow", {{200, "late", {}, seconds(60)}});
  TestServer t("", nullptr, LongTimeout());
  t.CreateEndpoint({{"url", slow.Url("/slow")}, {"event_types", {"slow.*"}}});
  t.CreateEndpoint({{"url", fast.Url("/fast")}, {"event_types", {"fast.*"}}});
  // More than the engine claims ahead for one endpoint.
  Publish(t, 300, "slow.x");
  ASSERT_TRUE(WaitUntil([&] { return slow.Count("/slow") >= 8; }, seconds(30)));
  Publish(t, 5, "fast.x");
  EXPECT_TRUE(WaitUntil([&] { return fast.Count("/fast") >= 5; }, seconds(30)))
      << fast.Count("/fast") << " of 5 arrived";
  EXPECT_EQ(fast.Count("/fast"), 5u);
  // The slow endpoint's attempts were all still held: its cap, and nothing after it, started.
  EXPECT_EQ(slow.Count("/slow"), 8u);
  EXPECT_EQ(slow.MaxOpen(), 8);
  slow.ReleaseHeld();
}

}  // namespace
}  // namespace hookd::testing
