// Endpoint ownership between two nodes on one PostgreSQL (two PgPools, as two hookd processes
// have): an endpoint has one owner at a time, also when both nodes take it at once; a Heartbeat
// renews the owner's leases so nobody takes its endpoints over; an endpoint is taken over once its
// owner's lease ends without a heartbeat, or at once when the owner's node row is reaped; taking
// "endpoints with due work" in batches hands out each endpoint once; bad inputs are clear errors
// that change nothing. Times come from a FakeClock.
#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "storage/pg/pg_endpoint_owners.h"
#include "storage/pg/pg_node_registry.h"
#include "tests/testing/pg_queue_db.h"

namespace hookd::testing {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kStart = 1'790'000'000'000;
constexpr milliseconds kLease{30'000};

std::vector<std::string> Ids(const std::vector<PgOwnedEndpoint>& owned) {
  std::vector<std::string> out;
  for (const PgOwnedEndpoint& o : owned) out.push_back(o.endpoint_id);
  return out;
}

class PgEndpointOwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = db_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    pool_b_ = db_.NewPool();
    owners_a_ = std::make_unique<PgEndpointOwners>(db_.pool(), clock_, kLease);
    owners_b_ = std::make_unique<PgEndpointOwners>(*pool_b_, clock_, kLease);
    node_a_ = std::make_unique<PgNodeRegistry>(db_.pool(), clock_, NodeInfo("node-a"), kLease);
    node_b_ = std::make_unique<PgNodeRegistry>(*pool_b_, clock_, NodeInfo("node-b"), kLease);
    ASSERT_TRUE(node_a_->Register().ok());
    ASSERT_TRUE(node_b_->Register().ok());
    db_.AddEndpoint("ep_1");
  }

  bool Acquire(PgEndpointOwners& owners, const std::string& node, const std::string& ep) {
    auto r = owners.Acquire(node, ep);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  std::string Owner(const std::string& ep) {
    return db_.Text(Cat({"SELECT node_id FROM endpoint_owners WHERE endpoint_id = '", ep, "'"}));
  }

  PgQueueDb db_;
  FakeClock clock_{kStart};
  std::unique_ptr<PgPool> pool_b_;
  std::unique_ptr<PgEndpointOwners> owners_a_;
  std::unique_ptr<PgEndpointOwners> owners_b_;
  std::unique_ptr<PgNodeRegistry> node_a_;
  std::unique_ptr<PgNodeRegistry> node_b_;
};

TEST_F(PgEndpointOwnersTest, AnEndpointHasOneOwnerUntilItsLeaseEnds) {
  EXPECT_TRUE(Acquire(*owners_a_, "node-a", "ep_1"));
  EXPECT_FALSE(Acquire(*owners_b_, "node-b", "ep_1"));
  EXPECT_EQ(Owner("ep_1"), "node-a");
  clock_.Advance(kLease - milliseconds(1));
  EXPECT_FALSE(Acquire(*owners_b_, "node-b", "ep_1"));  // one millisecond left
  auto renewed = owners_a_->Renew("node-a", "ep_1");
  ASSERT_TRUE(renewed.ok());
  EXPECT_TRUE(*renewed);
  EXPECT_EQ(db_.Count("SELECT lease_until FROM endpoint_owners"),
            clock_.NowUnixMillis() + kLease.count());
  EXPECT_EQ(db_.Count("SELECT acquired_at FROM endpoint_owners"), kStart);
  clock_.Advance(kLease);
  // Ended: node-b takes it over, and node-a can no longer renew or release it.
  EXPECT_TRUE(Acquire(*owners_b_, "node-b", "ep_1"));
  EXPECT_EQ(Owner("ep_1"), "node-b");
  EXPECT_EQ(db_.Count("SELECT acquired_at FROM endpoint_owners"), clock_.NowUnixMillis());
  renewed = owners_a_->Renew("node-a", "ep_1");
  ASSERT_TRUE(renewed.ok());
  EXPECT_FALSE(*renewed);
  auto released = owners_a_->Release("node-a", "ep_1");
  ASSERT_TRUE(released.ok());
  EXPECT_FALSE(*released);
  EXPECT_EQ(Owner("ep_1"), "node-b");
  auto a_owns = owners_a_->Owned("node-a");
  auto b_owns = owners_b_->Owned("node-b");
  ASSERT_TRUE(a_owns.ok() && b_owns.ok());
  EXPECT_TRUE(a_owns->empty());
  EXPECT_EQ(Ids(*b_owns), std::vector<std::string>{"ep_1"});
  // Released by its owner, it is free for anyone at once.
  released = owners_b_->Release("node-b", "ep_1");
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(*released);
  EXPECT_TRUE(Acquire(*owners_a_, "node-a", "ep_1"));
}

TEST_F(PgEndpointOwnersTest, AHeartbeatRenewsTheOwnersLeasesSoNobodyTakesThemOver) {
  db_.AddEndpoint("ep_2");
  ASSERT_TRUE(Acquire(*owners_a_, "node-a", "ep_1"));
  ASSERT_TRUE(Acquire(*owners_a_, "node-a", "ep_2"));
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(kLease / 2);
    auto renewed = node_a_->Heartbeat();
    ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
    EXPECT_EQ(*renewed, 2);
    EXPECT_FALSE(Acquire(*owners_b_, "node-b", "ep_1"));
    EXPECT_FALSE(Acquire(*owners_b_, "node-b", "ep_2"));
  }
  EXPECT_EQ(db_.Count("SELECT heartbeat_at FROM nodes WHERE id = 'node-a'"),
            clock_.NowUnixMillis());
  EXPECT_EQ(db_.Count("SELECT min(lease_until) FROM endpoint_owners"),
            clock_.NowUnixMillis() + kLease.count());
  auto owned = owners_a_->Owned("node-a");
  ASSERT_TRUE(owned.ok());
  EXPECT_EQ(Ids(*owned), (std::vector<std::string>{"ep_1", "ep_2"}));
  // Without heartbeats the leases end and node-b takes the endpoints over.
  clock_.Advance(kLease);
  EXPECT_TRUE(Acquire(*owners_b_, "node-b", "ep_1"));
  // node-a's heartbeat then renews only what is still its own.
  auto renewed = node_a_->Heartbeat();
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, 1);
  EXPECT_EQ(Owner("ep_1"), "node-b");
  EXPECT_EQ(Owner("ep_2"), "node-a");
}

TEST_F(PgEndpointOwnersTest, AReapedNodesEndpointsAreFreeAtOnce) {
  db_.AddEndpoint("ep_2");
  ASSERT_TRUE(Acquire(*owners_a_, "node-a", "ep_1"));
  ASSERT_TRUE(Acquire(*owners_a_, "node-a", "ep_2"));
  clock_.Advance(milliseconds(10'000));
  ASSERT_TRUE(node_b_->Heartbeat().ok());
  // node-a's heartbeat is 10 s old: not stale under 20 s, stale under 5 s. node-b never reaps
  // itself.
  auto reaped = node_b_->ReapStale(milliseconds(20'000));
  ASSERT_TRUE(reaped.ok());
  EXPECT_TRUE(reaped->empty());
  EXPECT_FALSE(Acquire(*owners_b_, "node-b", "ep_1"));
  reaped = node_b_->ReapStale(milliseconds(5'000));
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, std::vector<std::string>{"node-a"});
  EXPECT_EQ(db_.Count("SELECT count(*) FROM endpoint_owners"), 0);
  // Its leases had 20 s left; the endpoints are taken over now.
  EXPECT_TRUE(Acquire(*owners_b_, "node-b", "ep_1"));
  // node-a, alive after all, learns it from its heartbeat, which changes nothing; it registers
  // again and owns nothing until it takes endpoints again.
  auto beat = node_a_->Heartbeat();
  ASSERT_FALSE(beat.ok());
  EXPECT_EQ(beat.status().kind(), ErrorKind::kNotFound) << beat.status().ToString();
  EXPECT_EQ(db_.Count("SELECT count(*) FROM nodes WHERE id = 'node-a'"), 0);
  auto owns = owners_a_->Acquire("node-a", "ep_2");
  ASSERT_FALSE(owns.ok());
  EXPECT_EQ(owns.status().kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(node_a_->Register().ok());
  EXPECT_TRUE(Acquire(*owners_a_, "node-a", "ep_2"));
  EXPECT_FALSE(Acquire(*owners_a_, "node-a", "ep_1"));
}

TEST_F(PgEndpointOwnersTest, RegisteringAgainGivesUpWhatTheFormerProcessOwned) {
  ASSERT_TRUE(Acquire(*owners_a_, "node-a", "ep_1"));
  ASSERT_TRUE(node_a_->Register().ok());
  EXPECT_EQ(db_.Count("SELECT count(*) FROM endpoint_owners"), 0);
  EXPECT_TRUE(Acquire(*owners_b_, "node-b", "ep_1"));
  ASSERT_TRUE(node_b_->Deregister().ok());
  EXPECT_EQ(db_.Count("SELECT count(*) FROM endpoint_owners"), 0);
  EXPECT_EQ(db_.Count("SELECT count(*) FROM nodes"), 1);
}

TEST_F(PgEndpointOwnersTest, BadInputsAreClearErrorsThatChangeNothing) {
  ASSERT_TRUE(Acquire(*owners_a_, "node-a", "ep_1"));
  const auto before = db_.Rows("SELECT * FROM endpoint_owners ORDER BY endpoint_id");
  auto unknown_endpoint = owners_b_->Acquire("node-b", "ep_none");
  ASSERT_FALSE(unknown_endpoint.ok());
  EXPECT_EQ(unknown_endpoint.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(unknown_endpoint.status().message().find("ep_none"), std::string::npos);
  auto unknown_node = owners_b_->Acquire("node-x", "ep_1");
  ASSERT_FALSE(unknown_node.ok());
  EXPECT_EQ(unknown_node.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(unknown_node.status().message().find("node-x"), std::string::npos);
  for (int limit : {0, -1}) {
    auto batch = owners_b_->AcquireDue("node-b", limit);
    ASSERT_FALSE(batch.ok());
    EXPECT_EQ(batch.status().kind(), ErrorKind::kInvalidField);
  }
  auto due = owners_b_->AcquireDue("node-x", 4);
  ASSERT_FALSE(due.ok());
  EXPECT_EQ(due.status().kind(), ErrorKind::kNotFound);
  auto reap = node_b_->ReapStale(milliseconds(0));
  ASSERT_FALSE(reap.ok());
  EXPECT_EQ(reap.status().kind(), ErrorKind::kInvalidField);
  PgNodeRegistry nameless(db_.pool(), clock_, PgNodeInfo(), kLease);
  EXPECT_EQ(nameless.Register().kind(), ErrorKind::kInvalidField);
  PgNodeRegistry never(db_.pool(), clock_, NodeInfo("node-never"), kLease);
  EXPECT_EQ(never.Heartbeat().status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(db_.Rows("SELECT * FROM endpoint_owners ORDER BY endpoint_id"), before);
  EXPECT_EQ(db_.Count("SELECT count(*) FROM nodes"), 2);
}

TEST_F(PgEndpointOwnersTest, TakingEndpointsWithDueWorkHandsEachOutOnce) {
  db_.AddMessage("msg_1");
  for (int i = 0; i < 6; ++i) {
    const std::string ep = Cat({"ep_due_", std::to_string(i)});
    db_.AddEndpoint(ep);
    db_.AddDelivery(Cat({"dlv_", std::to_string(i)}), "msg_1", ep, kStart);
  }
  db_.AddEndpoint("ep_later");
  db_.AddDelivery("dlv_later", "msg_1", "ep_later", kStart + 1);
  // ep_1 has no delivery at all.
  auto a = owners_a_->AcquireDue("node-a", 4);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, (std::vector<std::string>{"ep_due_0", "ep_due_1", "ep_due_2", "ep_due_3"}));
  auto b = owners_b_->AcquireDue("node-b", 4);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<std::string>{"ep_due_4", "ep_due_5"}));
  b = owners_b_->AcquireDue("node-b", 4);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
  // Once the leases end, endpoints with due work go to whoever asks (node-b's own ended ones
  // included).
  clock_.Advance(kLease);
  b = owners_b_->AcquireDue("node-b", 10);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<std::string>{"ep_due_0", "ep_due_1", "ep_due_2", "ep_due_3",
                                          "ep_due_4", "ep_due_5", "ep_later"}));
  auto owned = owners_a_->Owned("node-a");
  ASSERT_TRUE(owned.ok());
  EXPECT_TRUE(owned->empty());
}

TEST_F(PgEndpointOwnersTest, TwoNodesTakingEndpointsAtOnceGetOneOwnerEach) {
  constexpr int kRounds = 100;
  db_.AddMessage("msg_1");
  for (int i = 0; i < 8; ++i) {
    const std::string ep = Cat({"ep_r", std::to_string(i)});
    db_.AddEndpoint(ep);
    db_.AddDelivery(Cat({"dlv_r", std::to_string(i)}), "msg_1", ep, kStart);
  }
  int a_wins = 0;
  int b_wins = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Everything ended: each round starts with no live owner.
    clock_.Advance(kLease);
    std::barrier start(2);
    bool a_single = false;
    bool b_single = false;
    Result<std::vector<std::string>> a_due = std::vector<std::string>{};
    Result<std::vector<std::string>> b_due = std::vector<std::string>{};
    auto run = [&](PgEndpointOwners& owners, const std::string& node, bool& single,
                   Result<std::vector<std::string>>& due) {
      start.arrive_and_wait();
      auto r = owners.Acquire(node, "ep_1");
      single = r.ok() && *r;
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      due = owners.AcquireDue(node, 5);
    };
    std::thread ta([&] { run(*owners_a_, "node-a", a_single, a_due); });
    std::thread tb([&] { run(*owners_b_, "node-b", b_single, b_due); });
    ta.join();
    tb.join();
    ASSERT_NE(a_single, b_single) << "round " << round;
    (a_single ? a_wins : b_wins)++;
    ASSERT_TRUE(a_due.ok()) << a_due.status().ToString();
    ASSERT_TRUE(b_due.ok()) << b_due.status().ToString();
    std::set<std::string> all(a_due->begin(), a_due->end());
    for (const std::string& id : *b_due) ASSERT_TRUE(all.insert(id).second) << id << " twice";
    // Each endpoint's owner row names the node that was told it took it.
    for (const std::string& id : *a_due) EXPECT_EQ(Owner(id), "node-a");
    for (const std::string& id : *b_due) EXPECT_EQ(Owner(id), "node-b");
  }
  EXPECT_EQ(a_wins + b_wins, kRounds);
}

}  // namespace
}  // namespace hookd::testing
