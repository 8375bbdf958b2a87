// Applications with two nodes on one PostgreSQL (two PgPools, as two hookd processes have): two
// nodes upserting one uid at once make one application and both answer with it; two nodes
// creating one uid at once make one and the other gets 409 uid_in_use; a deletion through one
// node races an endpoint or source insert through the other and never leaves the insert's row
// under the deleted application (the insert is refused, or the deletion removes it and reports
// the source); a deletion waits for an insert holding the application's share lock and then
// removes what it inserted; and a deletion through one node is seen at once by the other's Get,
// Resolve and List.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "storage/pg/pg_application_store.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_source_store.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

// `a`, `b` and `c` joined (with +=: GCC 12 warns wrongly about "literal" + std::string).
std::string Cat(std::string a, std::string_view b, std::string_view c = "") {
  a += b;
  a += c;
  return a;
}

constexpr int kRounds = 100;

ApplicationChange Named(const std::string& name) {
  ApplicationChange c;
  c.name = name;
  return c;
}

// Runs `a` and `b` on two threads started together.
template <typename A, typename B>
void AtOnce(A&& a, B&& b) {
  std::atomic<int> ready{0};
  auto wait = [&] {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
  };
  std::thread ta([&] {
    wait();
    a();
  });
  std::thread tb([&] {
    wait();
    b();
  });
  ta.join();
  tb.join();
}

class PgApplicationsNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    other_pool_ = engine_.NewPool();
    node_a_ = std::make_unique<PgApplicationStore>(engine_.pool(), clock_, random_a_);
    node_b_ = std::make_unique<PgApplicationStore>(*other_pool_, clock_, random_b_);
    endpoints_b_ = std::make_unique<PgEndpointStore>(*other_pool_);
    sources_b_ = std::make_unique<PgSourceStore>(*other_pool_);
  }

  int64_t Count(const std::string& sql) { return std::stoll(engine_.Text(sql)); }

  PgEngine engine_;
  SystemClock clock_;
  SeededRandom random_a_{1};
  SeededRandom random_b_{2};
  std::unique_ptr<PgPool> other_pool_;  // the second node's
  std::unique_ptr<PgApplicationStore> node_a_;
  std::unique_ptr<PgApplicationStore> node_b_;
  std::unique_ptr<PgEndpointStore> endpoints_b_;
  std::unique_ptr<PgSourceStore> sources_b_;
};

TEST_F(PgApplicationsNodesTest, TwoNodesUpsertingOneUidMakeOneApplicationAndBothAnswerIt) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string uid = Cat("cust-", std::to_string(round));
    Result<std::pair<Application, bool>> a = Status::Internal("not run");
    Result<std::pair<Application, bool>> b = Status::Internal("not run");
    AtOnce([&] { a = node_a_->Upsert(uid, Named("from a")); },
           [&] { b = node_b_->Upsert(uid, Named("from b")); });
    ASSERT_TRUE(a.ok()) << "round " << round << ": " << a.status().ToString();
    ASSERT_TRUE(b.ok()) << "round " << round << ": " << b.status().ToString();
    EXPECT_EQ(a->first.id, b->first.id) << "round " << round;
    EXPECT_NE(a->second, b->second) << "round " << round << ": exactly one created it";
    EXPECT_EQ(Count(Cat("SELECT count(*) FROM applications WHERE uid = '", uid, "'")), 1)
        << "round " << round;
    // The one that changed it answers the stored row; the row is the last writer's.
    auto stored = node_a_->Get(uid);
    ASSERT_TRUE(stored.ok());
    const auto& changed = a->second ? b->first : a->first;
    EXPECT_EQ(stored->name, changed.name) << "round " << round;
  }
}

TEST_F(PgApplicationsNodesTest, TwoNodesCreatingOneUidMakeOneAndTheOtherIs409) {
  for (int round = 0; round < kRounds; ++round) {
    const std::string uid = Cat("c-", std::to_string(round));
    ApplicationChange change = Named("x");
    change.uid = uid;
    Result<Application> a = Status::Internal("not run");
    Result<Application> b = Status::Internal("not run");
    AtOnce([&] { a = node_a_->Create(change); }, [&] { b = node_b_->Create(change); });
    ASSERT_NE(a.ok(), b.ok()) << "round " << round << ": " << a.status().ToString() << " / "
                              << b.status().ToString();
    const Status& refused = a.ok() ? b.status() : a.status();
    EXPECT_EQ(refused.code(), "uid_in_use") << "round " << round;
    EXPECT_EQ(Count(Cat("SELECT count(*) FROM applications WHERE uid = '", uid, "'")), 1);
  }
}

TEST_F(PgApplicationsNodesTest, ADeletionRacingAnInsertThroughTheOtherNodeLeavesNothingUnderIt) {
  std::mutex mu;
  std::vector<std::string> reported;
  node_a_->OnSourcesDeleted([&](const std::vector<std::string>& ids) {
    std::lock_guard<std::mutex> lock(mu);
    reported.insert(reported.end(), ids.begin(), ids.end());
  });
  int inserted_first = 0;
  int refused = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto app = node_a_->Create(Named("doomed"));
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    const std::string n = std::to_string(round);
    Endpoint e;
    e.id = Cat("ep_", n);
    e.app_id = app->id;
    e.url = "https://receiver.example/hooks";
    e.secret = "whsec_current";
    Source src;
    src.id = Cat("src_", n);
    src.app_id = app->id;
    src.name = "s";
    src.provider = "standard";
    src.secret = "whsec_current";
    Status deleted, endpoint, source;
    AtOnce([&] { deleted = node_a_->Delete(app->id); },
           [&] {
             endpoint = endpoints_b_->Insert(e);
             source = sources_b_->Insert(src);
           });
    ASSERT_TRUE(deleted.ok()) << "round " << round << ": " << deleted.ToString();
    // Refused as on SQLite, or inserted before the deletion, which then removed it.
    if (!endpoint.ok()) {
      EXPECT_EQ(endpoint.kind(), ErrorKind::kNotFound) << endpoint.ToString();
    }
    if (!source.ok()) {
      EXPECT_EQ(source.kind(), ErrorKind::kInvalidField) << source.ToString();
    }
    (endpoint.ok() ? inserted_first : refused) += 1;
    EXPECT_EQ(Count(Cat("SELECT count(*) FROM endpoints WHERE app_id = '", app->id, "'")), 0)
        << "round " << round << ": an endpoint was left under the deleted application";
    EXPECT_EQ(Count(Cat("SELECT count(*) FROM sources WHERE app_id = '", app->id, "'")), 0)
        << "round " << round << ": a source was left under the deleted application";
    std::lock_guard<std::mutex> lock(mu);
    const bool was_reported = std::find(reported.begin(), reported.end(), src.id) != reported.end();
    EXPECT_EQ(was_reported, source.ok()) << "round " << round;
  }
  std::cout << "inserted before the deletion: " << inserted_first << ", refused: " << refused
            << "\n";
}

TEST_F(PgApplicationsNodesTest, ADeletionWaitsForAnInsertHoldingTheShareLockThenRemovesIt) {
  auto app = node_a_->Create(Named("doomed"));
  ASSERT_TRUE(app.ok());
  // The other node's source insert, held open: the statement PgSourceStore::Insert runs.
  auto conn = other_pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  auto txn = PgTransaction::Begin(**conn);
  ASSERT_TRUE(txn.ok());
  auto r = (*conn)->Exec(
      "WITH app AS (SELECT id FROM applications WHERE id = $1 AND deleted_at IS NULL FOR SHARE)"
      " INSERT INTO sources (id, name, provider, secret, created_at, updated_at, app_id)"
      " SELECT 'src_held', 's', 'standard', 'whsec_x', 0, 0, app.id FROM app",
      {app->id});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->Affected(), 1);

  std::vector<std::string> reported;
  node_a_->OnSourcesDeleted([&](const std::vector<std::string>& ids) { reported = ids; });
  std::atomic<bool> done{false};
  Status deleted;
  std::thread deleter([&] {
    deleted = node_a_->Delete(app->id);
    done.store(true);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done.load()) << "the deletion did not wait for the insert's share lock";
  ASSERT_TRUE((*txn)->Commit().ok());
  deleter.join();
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_EQ(reported, (std::vector<std::string>{"src_held"}));
  EXPECT_EQ(Count(Cat("SELECT count(*) FROM sources WHERE app_id = '", app->id, "'")), 0);
}

TEST_F(PgApplicationsNodesTest, ADeletionThroughOneNodeIsSeenAtOnceByTheOther) {
  ApplicationChange change = Named("Shared");
  change.uid = "shared";
  auto app = node_a_->Create(change);
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE(node_b_->Get("shared").ok());
  auto resolved = node_b_->Resolve(app->id);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, app->id);

  ASSERT_TRUE(node_a_->Delete("shared").ok());
  EXPECT_EQ(node_b_->Get("shared").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(node_b_->Get(app->id).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(node_b_->Resolve("shared").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(node_b_->Resolve(app->id).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(node_b_->Delete(app->id).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(node_b_->Update(app->id, Named("x")).status().kind(), ErrorKind::kNotFound);
  auto listed = node_b_->List(std::string("shared"), std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  // Its uid is free for the other node at once.
  auto again = node_b_->Upsert("shared", Named("Again"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->second);
  EXPECT_NE(again->first.id, app->id);
}

}  // namespace
}  // namespace hookd::testing
