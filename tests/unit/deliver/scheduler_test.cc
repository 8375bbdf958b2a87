// Scheduler on explicit times (unix ms): per-endpoint queues started round-robin, the
// concurrency and in-flight caps, claim budgets, the rate limit's one-second window and the
// breaker's verdict.
#include "deliver/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace hookd {
namespace {

DeliveryJob Job(const std::string& endpoint, int n) {
  DeliveryJob j;
  j.endpoint_id = endpoint;
  j.delivery_id = endpoint + "-" + std::to_string(n);
  return j;
}

// Starts everything startable and returns the delivery ids in start order.
std::vector<std::string> StartAll(Scheduler& s, int64_t now) {
  std::vector<std::string> out;
  while (auto j = s.NextToStart(now)) out.push_back(j->delivery_id);
  return out;
}

constexpr int64_t kNow = 1'790'000'000'000;

TEST(Scheduler, StartsRoundRobinSoABacklogDoesNotGoFirst) {
  CircuitBreaker breaker;
  Scheduler s({/*per_endpoint_concurrency=*/2, /*max_inflight=*/100, 4}, breaker);
  for (int i = 0; i < 5; ++i) s.Enqueue(Job("a", i));
  s.Enqueue(Job("b", 0));
  s.Enqueue(Job("c", 0));
  s.Enqueue(Job("c", 1));
  EXPECT_EQ(StartAll(s, kNow),
            (std::vector<std::string>{"a-0", "b-0", "c-0", "a-1", "c-1"}));  // a and c at cap 2
  EXPECT_EQ(s.inflight(), 5);
  EXPECT_EQ(s.queued(), 3);
  s.Finished("a");
  EXPECT_EQ(StartAll(s, kNow), std::vector<std::string>{"a-2"});
  EXPECT_EQ(s.Claimed("a"), 4);
}

TEST(Scheduler, AnEndpointAtItsCapDoesNotHoldUpAnother) {
  CircuitBreaker breaker;
  Scheduler s({2, 100, 4}, breaker);
  for (int i = 0; i < 20; ++i) s.Enqueue(Job("hang", i));
  EXPECT_EQ(StartAll(s, kNow).size(), 2u);
  s.Enqueue(Job("ok", 0));
  EXPECT_EQ(StartAll(s, kNow), std::vector<std::string>{"ok-0"});
}

TEST(Scheduler, TheGlobalInflightCapHoldsAndBoundsClaims) {
  CircuitBreaker breaker;
  Scheduler s({8, 3, 4, /*first_job_reserve=*/0}, breaker);
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow, s.room()), 3);
  for (int i = 0; i < 2; ++i) s.Enqueue(Job("a", i));
  s.Enqueue(Job("b", 0));
  EXPECT_EQ(s.ClaimBudget("c", std::nullopt, kNow, s.room()), 0);
  EXPECT_EQ(StartAll(s, kNow).size(), 3u);
  s.Enqueue(Job("c", 0));  // claimed beyond the bound by hand: still cannot start
  EXPECT_TRUE(StartAll(s, kNow).empty());
  s.Finished("b");
  EXPECT_EQ(StartAll(s, kNow), std::vector<std::string>{"c-0"});
}

// Endpoints with backlogs claim only the slots above the reserve; the reserve goes one slot at a
// time to endpoints with nothing claimed, so one more endpoint's job always finds a slot while
// fewer endpoints than the reserve hold one.
TEST(Scheduler, BacklogsLeaveTheReserveToEndpointsWithNothingClaimed) {
  CircuitBreaker breaker;
  Scheduler s({/*per_endpoint_concurrency=*/4, /*max_inflight=*/20, 4, /*reserve=*/8}, breaker);
  // Two endpoints with large backlogs take the 12 slots above the reserve.
  EXPECT_EQ(s.ClaimBudget("big1", std::nullopt, kNow, s.room()), 12);
  for (int i = 0; i < 12; ++i) s.Enqueue(Job("big1", i));
  EXPECT_EQ(s.ClaimBudget("big1", std::nullopt, kNow, s.room()), 0);
  EXPECT_EQ(s.ClaimBudget("big2", std::nullopt, kNow, s.room()), 1);  // its first job only
  s.Enqueue(Job("big2", 0));
  EXPECT_EQ(s.ClaimBudget("big2", std::nullopt, kNow, s.room()), 0);
  // Seven more endpoints get one slot each, and then the reserve is spent.
  for (int e = 0; e < 7; ++e) {
    const std::string id = "one" + std::to_string(e);
    EXPECT_EQ(s.ClaimBudget(id, std::nullopt, kNow, s.room()), 1) << id;
    s.Enqueue(Job(id, 0));
  }
  EXPECT_EQ(s.room(), 0);
  EXPECT_EQ(s.ClaimBudget("late", std::nullopt, kNow, s.room()), 0);
  StartAll(s, kNow);
  s.Finished("one3");
  EXPECT_EQ(s.ClaimBudget("big1", std::nullopt, kNow, s.room()), 0);  // not the reserve's slot
  EXPECT_EQ(s.ClaimBudget("late", std::nullopt, kNow, s.room()), 1);
}

TEST(Scheduler, TheRoomShareOfAnEndpoint) {
  CircuitBreaker breaker;
  Scheduler s({8, 100, 4, 40}, breaker);
  EXPECT_EQ(s.RoomShare(0, 100), 60);
  EXPECT_EQ(s.RoomShare(3, 100), 60);
  EXPECT_EQ(s.RoomShare(0, 40), 1);
  EXPECT_EQ(s.RoomShare(3, 40), 0);
  EXPECT_EQ(s.RoomShare(0, 1), 1);
  EXPECT_EQ(s.RoomShare(0, 0), 0);
  Scheduler half({8, 100, 4}, breaker);  // the default reserve is half of max_inflight
  EXPECT_EQ(half.RoomShare(2, 100), 50);
}

TEST(Scheduler, ClaimsRunAheadByRoundsOfTheConcurrency) {
  CircuitBreaker breaker;
  Scheduler s({2, 100, 4}, breaker);
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow, s.room()), 8);
  for (int i = 0; i < 8; ++i) s.Enqueue(Job("a", i));
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow, s.room()), 0);
  // Topped up only once no more than half of the bound is claimed, then to the whole bound.
  for (int claimed = 8; claimed > 4; --claimed) {
    EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow, s.room()), 0) << claimed;
    StartAll(s, kNow);
    s.Finished("a");
  }
  EXPECT_EQ(s.Claimed("a"), 4);
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow, s.room()), 4);
}

TEST(Scheduler, RateLimitFreesAStartOneSecondAfterIt) {
  CircuitBreaker breaker;
  Scheduler s({8, 100, 4}, breaker);
  // Nothing started yet: 5 may start now, then none until a second after the first of them.
  EXPECT_EQ(s.ClaimBudget("a", 5, kNow, s.room()), 5);
  for (int i = 0; i < 3; ++i) s.Enqueue(Job("a", i));
  StartAll(s, kNow);
  for (int i = 3; i < 5; ++i) s.Enqueue(Job("a", i));
  StartAll(s, kNow + 400);
  for (int i = 0; i < 5; ++i) s.Finished("a");
  EXPECT_EQ(s.ClaimBudget("a", 5, kNow + 999, s.room()), 0);
  EXPECT_EQ(s.NextTokenAt("a", 5, kNow + 500), kNow + 1000);
  EXPECT_EQ(s.ClaimBudget("a", 5, kNow + 1000, s.room()), 3);  // the three started at kNow
  EXPECT_EQ(s.ClaimBudget("a", 5, kNow + 1400, s.room()), 5);
  // A claimed job not started yet counts: it may start within the window.
  s.Enqueue(Job("a", 5));
  EXPECT_EQ(s.ClaimBudget("a", 5, kNow + 1400, s.room()), 4);
}

// Claiming and starting as fast as the scheduler allows, with attempts that end at once: no
// one-second window ever holds more than the limit's starts (a bucket that starts full let
// nearly twice as many through in the first second), and the limit is still reached.
TEST(Scheduler, RateLimitNeverStartsMoreThanItsLimitInAnyOneSecondWindow) {
  for (const int rate : {1, 5, 20}) {
    SCOPED_TRACE(rate);
    CircuitBreaker breaker;
    Scheduler s({8, 1000, 4}, breaker);
    std::vector<int64_t> starts;
    int n = 0;
    for (int64_t t = kNow; t < kNow + 5'000; t += 10) {
      const int budget = s.ClaimBudget("a", rate, t, s.room());
      for (int i = 0; i < budget; ++i) s.Enqueue(Job("a", n++));
      while (s.NextToStart(t)) {
        starts.push_back(t);
        s.Finished("a");
      }
    }
    for (size_t i = 0; i < starts.size(); ++i) {
      const auto in_window =
          std::count_if(starts.begin() + static_cast<std::ptrdiff_t>(i), starts.end(),
                        [&](int64_t at) { return at - starts[i] < 1000; });
      ASSERT_LE(in_window, rate) << "starting at +" << starts[i] - kNow << " ms";
    }
    EXPECT_EQ(starts.size(), static_cast<size_t>(rate * 5));
  }
}

TEST(Scheduler, AnOpenCircuitStopsClaimsAndStartsUntilItsProbe) {
  CircuitOptions o;
  o.consecutive_failures = 1;
  o.min_failing_span = std::chrono::milliseconds(0);
  CircuitBreaker breaker(o);
  Scheduler s({8, 100, 4}, breaker);
  s.Enqueue(Job("a", 0));
  s.Enqueue(Job("a", 1));
  ASSERT_TRUE(breaker.OnResult("a", false, kNow).has_value());
  EXPECT_TRUE(StartAll(s, kNow).empty());
  EXPECT_EQ(s.TakeQueued("a").size(), 2u);  // the engine hands paused claims back
  EXPECT_EQ(s.queued(), 0);
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow + 29'999, s.room()), 0);
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow + 30'000, s.room()), 1);  // the probe
  s.Enqueue(Job("a", 2));
  EXPECT_EQ(s.ClaimBudget("a", std::nullopt, kNow + 30'000, s.room()), 0);
}

}  // namespace
}  // namespace hookd
