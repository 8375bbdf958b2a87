// The delivery queue with two nodes on one PostgreSQL (two PgPools, as two hookd processes have),
// each running two dispatcher threads at once: taking endpoints with due work, claiming their
// deliveries in batches and recording every result. Over many rounds no delivery is claimed twice,
// together the nodes claim all of them, each is attempted once, and no result is refused. Then a
// node that dies holding claims: its work is taken over by the other node once the leases end,
// and the dead node's results, arriving late, change nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "storage/pg/pg_delivery_queue.h"
#include "storage/pg/pg_endpoint_owners.h"
#include "storage/pg/pg_node_registry.h"
#include "tests/testing/pg_queue_db.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kStart = 1'790'000'000'000;
constexpr milliseconds kOwnerLease{30'000};
constexpr milliseconds kClaimLease{20'000};

PgAttemptResult Success(const PgClaimedDelivery& c, int64_t now) {
  PgAttemptResult r;
  r.record.delivery_id = c.delivery_id;
  r.record.message_id = c.message_id;
  r.record.endpoint_id = c.endpoint_id;
  r.record.app_id = c.app_id;
  r.record.attempts_before = c.attempts;
  r.record.retry_index = c.retry_index;
  r.record.started_at = now;
  r.record.result.status = 200;
  r.lease_until = c.lease_until;
  return r;
}

class PgQueueNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = db_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    pools_.push_back(db_.NewPool());
    pools_.push_back(db_.NewPool());
    for (int n = 0; n < 2; ++n) {
      PgNodeRegistry registry(*pools_[n], clock_, NodeInfo(kNodes[n]), kOwnerLease);
      ASSERT_TRUE(registry.Register().ok());
    }
    db_.AddMessage("msg_1");
  }

  // What one dispatcher thread did.
  struct Dispatcher {
    std::vector<std::string> claimed;
    int64_t recorded = 0;
    int64_t stale = 0;
    Status error;
  };

  // One dispatcher of node `n`: takes endpoints with due work, claims, records, until nothing is
  // due anywhere.
  void Dispatch(int n, Random& random, Dispatcher& out) {
    PgEndpointOwners owners(*pools_[n], clock_, kOwnerLease);
    PgDeliveryQueue queue(*pools_[n], clock_, random, kNodes[n], DefaultRetryPolicy(),
                          milliseconds(3'600'000));
    // Real time only bounds the test; the leases run on the fake clock, which stands still.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      auto taken = owners.AcquireDue(kNodes[n], 2);
      if (!taken.ok()) {
        out.error = taken.status();
        return;
      }
      auto claimed = queue.ClaimOwned(16, kClaimLease);
      if (!claimed.ok()) {
        out.error = claimed.status();
        return;
      }
      if (claimed->empty()) {
        if (Remaining() == 0) return;
        std::this_thread::yield();
        continue;
      }
      std::vector<PgAttemptResult> results;
      for (const PgClaimedDelivery& c : *claimed) {
        out.claimed.push_back(c.delivery_id);
        results.push_back(Success(c, clock_.NowUnixMillis()));
      }
      auto summary = queue.Record(results);
      if (!summary.ok()) {
        out.error = summary.status();
        return;
      }
      out.recorded += summary->recorded;
      out.stale += static_cast<int64_t>(summary->stale.size());
    }
    out.error = Status::Internal("a dispatcher was still waiting for work after 60 s");
  }

  int64_t Remaining() {
    auto conn = pools_[0]->Acquire();
    if (!conn.ok()) return -1;
    auto r = (*conn)->Exec("SELECT count(*) FROM deliveries WHERE next_attempt_at IS NOT NULL");
    if (!r.ok() || r->rows() != 1) return -1;
    auto count = r->Int(0, 0);
    return count.ok() ? *count : -1;
  }

  static constexpr const char* kNodes[] = {"node-a", "node-b"};
  PgQueueDb db_;
  FakeClock clock_{kStart};
  std::vector<std::unique_ptr<PgPool>> pools_;
};

TEST_F(PgQueueNodesTest, TwoNodesClaimingAtOnceGetDisjointDeliveriesAndTogetherAll) {
  constexpr int kRounds = 12;
  constexpr int kEndpoints = 6;
  constexpr int kPerEndpoint = 30;
  SeededRandom randoms[4] = {SeededRandom(1), SeededRandom(2), SeededRandom(3), SeededRandom(4)};
  int64_t by_node[2] = {0, 0};
  for (int round = 0; round < kRounds; ++round) {
    std::set<std::string> all;
    for (int e = 0; e < kEndpoints; ++e) {
      const std::string ep = Cat({"ep_", std::to_string(round), "_", std::to_string(e)});
      db_.AddEndpoint(ep);
      for (int d = 0; d < kPerEndpoint; ++d) {
        const std::string id =
            Cat({"dlv_", std::to_string(round), "_", std::to_string(e), "_", std::to_string(d)});
        db_.AddDelivery(id, "msg_1", ep, clock_.NowUnixMillis() - d);
        all.insert(id);
      }
    }
    Dispatcher dispatchers[4];
    std::barrier start(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        Dispatch(t % 2, randoms[t], dispatchers[t]);
      });
    }
    for (std::thread& t : threads) t.join();

    std::map<std::string, int> claims;
    for (int t = 0; t < 4; ++t) {
      ASSERT_TRUE(dispatchers[t].error.ok()) << dispatchers[t].error.ToString();
      EXPECT_EQ(dispatchers[t].stale, 0) << "round " << round;
      EXPECT_EQ(dispatchers[t].recorded, static_cast<int64_t>(dispatchers[t].claimed.size()));
      by_node[t % 2] += static_cast<int64_t>(dispatchers[t].claimed.size());
      for (const std::string& id : dispatchers[t].claimed) ++claims[id];
    }
    std::set<std::string> claimed;
    for (const auto& [id, count] : claims) {
      EXPECT_EQ(count, 1) << id << " claimed " << count << " times in round " << round;
      claimed.insert(id);
    }
    EXPECT_EQ(claimed, all) << "round " << round;
    // Each attempted once and succeeded; every status entry written.
    const std::string prefix = Cat({"'dlv\\_", std::to_string(round), "\\_%'"});
    EXPECT_EQ(db_.Count(Cat({"SELECT count(*) FROM deliveries WHERE id LIKE ", prefix,
                             " AND status = 'succeeded' AND attempts = 1 AND claimed_by IS NULL"})),
              kEndpoints * kPerEndpoint);
    EXPECT_EQ(db_.Count(Cat({"SELECT count(*) FROM attempts WHERE delivery_id LIKE ", prefix})),
              kEndpoints * kPerEndpoint);
    // The next round starts with every endpoint free again.
    clock_.Advance(kOwnerLease);
  }
  EXPECT_EQ(db_.Count("SELECT count(*) FROM status_log"), 2 * kRounds * kEndpoints * kPerEndpoint);
  // Both nodes took part (each took endpoints two at a time while the other did too).
  EXPECT_GT(by_node[0], 0);
  EXPECT_GT(by_node[1], 0);
}

TEST_F(PgQueueNodesTest, ADeadNodesClaimsAreTakenOverWhenTheirLeasesEnd) {
  for (int e = 0; e < 3; ++e) {
    const std::string ep = Cat({"ep_", std::to_string(e)});
    db_.AddEndpoint(ep);
    for (int d = 0; d < 10; ++d)
      db_.AddDelivery(Cat({"dlv_", std::to_string(e), "_", std::to_string(d)}), "msg_1", ep,
                      kStart);
  }
  SeededRandom random_a(1);
  SeededRandom random_b(2);
  PgEndpointOwners owners_a(*pools_[0], clock_, kOwnerLease);
  PgEndpointOwners owners_b(*pools_[1], clock_, kOwnerLease);
  PgDeliveryQueue queue_a(*pools_[0], clock_, random_a, "node-a", DefaultRetryPolicy(),
                          milliseconds(3'600'000));
  PgDeliveryQueue queue_b(*pools_[1], clock_, random_b, "node-b", DefaultRetryPolicy(),
                          milliseconds(3'600'000));
  PgNodeRegistry registry_b(*pools_[1], clock_, NodeInfo("node-b"), kOwnerLease);

  // node-a takes everything and claims it, then dies.
  auto taken = owners_a.AcquireDue("node-a", 10);
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 3u);
  auto by_a = queue_a.ClaimOwned(PgDeliveryQueue::kClaimBatch, kClaimLease);
  ASSERT_TRUE(by_a.ok());
  ASSERT_EQ(by_a->size(), 30u);

  // node-b sees nothing to take while node-a's leases hold, with or without a reap.
  clock_.Advance(kClaimLease - milliseconds(1));
  ASSERT_TRUE(registry_b.Heartbeat().ok());
  auto nothing = owners_b.AcquireDue("node-b", 10);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
  // node-a's heartbeat is now stale: reaping it frees its endpoints at once, but its claims hold
  // until their own leases end.
  auto reaped = registry_b.ReapStale(kClaimLease / 2);
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, std::vector<std::string>{"node-a"});
  nothing = owners_b.AcquireDue("node-b", 10);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());  // no delivery is due yet
  clock_.Advance(milliseconds(1));
  auto now_due = owners_b.AcquireDue("node-b", 10);
  ASSERT_TRUE(now_due.ok());
  EXPECT_EQ(now_due->size(), 3u);
  auto by_b = queue_b.ClaimOwned(PgDeliveryQueue::kClaimBatch, kClaimLease);
  ASSERT_TRUE(by_b.ok());
  ASSERT_EQ(by_b->size(), 30u);
  std::vector<PgAttemptResult> b_results;
  for (const PgClaimedDelivery& c : *by_b) b_results.push_back(Success(c, clock_.NowUnixMillis()));
  auto b_summary = queue_b.Record(b_results);
  ASSERT_TRUE(b_summary.ok()) << b_summary.status().ToString();
  EXPECT_EQ(b_summary->recorded, 30);
  const auto after_b = db_.Rows("SELECT * FROM deliveries ORDER BY seq");
  const int64_t entries = db_.Count("SELECT count(*) FROM status_log");

  // node-a's results arrive late: every one refused, nothing written.
  std::vector<PgAttemptResult> a_results;
  for (const PgClaimedDelivery& c : *by_a) a_results.push_back(Success(c, kStart));
  auto a_summary = queue_a.Record(a_results);
  ASSERT_TRUE(a_summary.ok()) << a_summary.status().ToString();
  EXPECT_EQ(a_summary->recorded, 0);
  EXPECT_EQ(a_summary->stale.size(), 30u);
  EXPECT_EQ(db_.Rows("SELECT * FROM deliveries ORDER BY seq"), after_b);
  EXPECT_EQ(db_.Count("SELECT count(*) FROM attempts"), 30);
  EXPECT_EQ(db_.Count("SELECT count(*) FROM status_log"), entries);
}

}  // namespace
}  // namespace hookd::testing
