// Publishing with two nodes on one PostgreSQL (two PgPools, as two hookd processes have): one
// Idempotency-Key published through both at once makes one message and both answer it; batches
// holding the same keys in opposite orders never deadlock (the server's own deadlock counter
// stays at zero); an application deleted through one node while the other publishes leaves no
// message, delivery or event type behind the deletion: what was answered is what is stored, and
// nothing is added once the deletion has returned.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "deliver/message_request.h"
#include "storage/pg/pg_application_store.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_message_store.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

using json = nlohmann::json;

Endpoint NodeEndpoint(const std::string& id, const std::string& app_id) {
  Endpoint e;
  e.id = id;
  e.app_id = app_id;
  e.url = "http://127.0.0.1:9/" + id;
  e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  return e;
}

// One node: its pool, stores and random.
struct Node {
  Node(std::unique_ptr<PgPool> p, const Clock& clock, uint64_t seed)
      : pool(std::move(p)), random(seed), store(*pool, clock, random), endpoints(*pool) {}
  // The node's endpoints as a fan-out would use them.
  EndpointSnapshot Snapshot() {
    auto all = endpoints.All();
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return EndpointSnapshot(all.ok() ? std::move(all).value() : std::vector<Endpoint>());
  }
  std::unique_ptr<PgPool> pool;
  SeededRandom random;
  PgMessageStore store;
  PgEndpointStore endpoints;
};

class PgMessagesNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = engine_.Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at)"
        " VALUES ('app_a', 'a', 'A', 0, 0)");
    ASSERT_TRUE(s.ok()) << s.ToString();
    a_ = std::make_unique<Node>(engine_.NewPool(), clock_, 1);
    b_ = std::make_unique<Node>(engine_.NewPool(), clock_, 2);
    for (const char* id : {"ep_1", "ep_2"}) {
      s = a_->endpoints.Insert(NodeEndpoint(id, "app_a"));
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  NewMessage Prepared(Node& node, int n, const std::optional<std::string>& key,
                      const std::string& app = "app_a") {
    auto m = PrepareMessage({{"event_type", "order.created"}, {"payload", {{"n", n}}}}, key, app,
                            clock_, node.random);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : NewMessage{};
  }

  int64_t Count(const std::string& sql) { return std::stoll(engine_.Text(sql)); }

  PgEngine engine_;
  SystemClock clock_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
};

TEST_F(PgMessagesNodesTest, OneKeyThroughTwoNodesAtOnceMakesOneMessageAndBothAnswerIt) {
  constexpr int kRounds = 100;
  const EndpointSnapshot snapshot_a = a_->Snapshot(), snapshot_b = b_->Snapshot();
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "key-" + std::to_string(round);
    std::vector<NewMessage> batch_a{Prepared(*a_, round, key)};
    std::vector<NewMessage> batch_b{Prepared(*b_, round, key)};
    Result<std::vector<Result<json>>> out_a = Status::Internal("not run");
    Result<std::vector<Result<json>>> out_b = Status::Internal("not run");
    std::latch start(2);
    std::thread ta([&] {
      int made = 0;
      start.arrive_and_wait();
      out_a = a_->store.Commit(batch_a, snapshot_a, made);
    });
    std::thread tb([&] {
      int made = 0;
      start.arrive_and_wait();
      out_b = b_->store.Commit(batch_b, snapshot_b, made);
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(out_a.ok()) << out_a.status().ToString();
    ASSERT_TRUE(out_b.ok()) << out_b.status().ToString();
    ASSERT_TRUE(out_a->front().ok()) << out_a->front().status().ToString();
    ASSERT_TRUE(out_b->front().ok()) << out_b->front().status().ToString();
    EXPECT_EQ(*out_a->front(), *out_b->front()) << "round " << round;
    EXPECT_EQ((*out_a->front())["deliveries"], 2);
    ASSERT_EQ(Count("SELECT COUNT(*) FROM messages WHERE idempotency_key = '" + key + "'"), 1)
        << "round " << round;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), kRounds);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries"), 2 * kRounds);
  EXPECT_EQ(Count("SELECT count FROM event_types"), kRounds);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM status_log WHERE type = 'message.created'"), kRounds);
}

TEST_F(PgMessagesNodesTest, BatchesWithOverlappingKeysInOppositeOrdersNeverDeadlock) {
  auto deadlocks = [this] {
    return Count("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
  };
  const int64_t deadlocks_before = deadlocks();
  constexpr int kRounds = 20;
  constexpr int kKeys = 20;
  const EndpointSnapshot snapshot_a = a_->Snapshot(), snapshot_b = b_->Snapshot();
  for (int round = 0; round < kRounds; ++round) {
    std::vector<NewMessage> batch_a, batch_b;
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "r" + std::to_string(round) + "-k" + std::to_string(100 + i);
      batch_a.push_back(Prepared(*a_, i, key));
    }
    for (int i = kKeys - 1; i >= 0; --i) {
      const std::string key = "r" + std::to_string(round) + "-k" + std::to_string(100 + i);
      batch_b.push_back(Prepared(*b_, i, key));
    }
    Result<std::vector<Result<json>>> out_a = Status::Internal("not run");
    Result<std::vector<Result<json>>> out_b = Status::Internal("not run");
    std::latch start(2);
    std::thread ta([&] {
      int made = 0;
      start.arrive_and_wait();
      out_a = a_->store.Commit(batch_a, snapshot_a, made);
    });
    std::thread tb([&] {
      int made = 0;
      start.arrive_and_wait();
      out_b = b_->store.Commit(batch_b, snapshot_b, made);
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(out_a.ok()) << out_a.status().ToString();
    ASSERT_TRUE(out_b.ok()) << out_b.status().ToString();
    for (int i = 0; i < kKeys; ++i) {
      const Result<json>& x = (*out_a)[i];
      const Result<json>& y = (*out_b)[kKeys - 1 - i];
      ASSERT_TRUE(x.ok() && y.ok()) << x.status().ToString() << " " << y.status().ToString();
      EXPECT_EQ(*x, *y) << "round " << round << " key " << i;
    }
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages"), kRounds * kKeys);
  // The backends count their deadlocks in the server's statistics, flushed when they exit.
  a_.reset();
  b_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(deadlocks(), deadlocks_before);
}

TEST_F(PgMessagesNodesTest,
       AnApplicationDeletedThroughOneNodeWhileTheOtherPublishesLeavesNoOrphan) {
  constexpr int kRounds = 30;
  SeededRandom apps_random(9);
  PgApplicationStore apps_a(*a_->pool, clock_, apps_random);
  for (int round = 0; round < kRounds; ++round) {
    const std::string app = "app_r" + std::to_string(round);
    Status s =
        engine_.Exec("INSERT INTO applications (id, uid, name, created_at, updated_at) VALUES ('" +
                     app + "', NULL, 'R', 0, 0)");
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = a_->endpoints.Insert(NodeEndpoint("ep_" + app, app));
    ASSERT_TRUE(s.ok()) << s.ToString();
    const EndpointSnapshot snapshot = b_->Snapshot();  // made before the deletion, as a cache's
    std::atomic<bool> deleted{false};
    std::atomic<int> answered{0}, other_errors{0};
    int refused = 0, made = 0;
    std::thread publisher([&] {
      // Publishes until it has been refused a few times after the deletion returned.
      for (int i = 0; refused < 3 && i < 10'000; ++i) {
        std::vector<NewMessage> batch{Prepared(*b_, i, std::nullopt, app),
                                      Prepared(*b_, i, "k" + std::to_string(i), app)};
        auto out = b_->store.Commit(batch, snapshot, made);
        if (!out.ok()) {
          ++other_errors;
          continue;
        }
        for (const Result<json>& r : *out) {
          if (r.ok()) {
            ++answered;
          } else if (r.status().kind() == ErrorKind::kNotFound &&
                     r.status().message() == "no application " + app) {
            if (deleted.load()) ++refused;
          } else {
            ++other_errors;
          }
        }
      }
    });
    // The deletion comes while the publisher is under way: after its first answer, and a little
    // later in some rounds.
    while (answered.load() == 0 && other_errors.load() == 0) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(round % 3));
    s = apps_a.Delete(app);
    deleted.store(true);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const int64_t at_deletion = Count("SELECT COUNT(*) FROM messages WHERE app_id = '" + app + "'");
    publisher.join();
    EXPECT_EQ(other_errors.load(), 0);
    EXPECT_GE(refused, 3) << "round " << round;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM messages WHERE app_id = '" + app + "'"), at_deletion)
        << "a message committed after its application's deletion, round " << round;
    EXPECT_EQ(at_deletion, answered.load()) << "round " << round;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE app_id = '" + app + "'"), made);
    EXPECT_EQ(made, answered.load());  // one endpoint each
    EXPECT_EQ(Count("SELECT COALESCE(SUM(count), 0) FROM event_types WHERE app_id = '" + app + "'"),
              answered.load());
    EXPECT_EQ(Count("SELECT COUNT(*) FROM endpoints WHERE app_id = '" + app + "'"), 0);
  }
}

}  // namespace
}  // namespace hookd::testing
