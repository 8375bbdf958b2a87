// Application tokens with two nodes on one PostgreSQL (two PgPools, as two hookd processes have):
// a token made through one node authenticates through the other; revoked through one, it is
// refused by the other's very next check (AppTokens caches nothing), also while that node is
// checking it in a loop; and its application deleted through one node refuses it on the other.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "apps/app_tokens.h"
#include "common/clock.h"
#include "common/random.h"
#include "storage/pg/pg_app_token_store.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

class PgAppTokensNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = engine_.Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at)"
        " VALUES ('app_a', 'a', 'A', 0, 0)");
    ASSERT_TRUE(s.ok()) << s.ToString();
    other_pool_ = engine_.NewPool();
    store_a_ = std::make_unique<PgAppTokenStore>(engine_.pool());
    store_b_ = std::make_unique<PgAppTokenStore>(*other_pool_);
    node_a_ = std::make_unique<AppTokens>(*store_a_, clock_, random_a_);
    node_b_ = std::make_unique<AppTokens>(*store_b_, clock_, random_b_);
    auto made = node_a_->Create("app_a", nlohmann::json::object());
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    token_ = (*made)["token"];
    token_id_ = (*made)["id"];
  }

  PgEngine engine_;
  SystemClock clock_;
  SeededRandom random_a_{1};
  SeededRandom random_b_{2};
  std::unique_ptr<PgPool> other_pool_;  // the second node's
  std::unique_ptr<PgAppTokenStore> store_a_;
  std::unique_ptr<PgAppTokenStore> store_b_;
  std::unique_ptr<AppTokens> node_a_;
  std::unique_ptr<AppTokens> node_b_;
  std::string token_;
  std::string token_id_;
};

TEST_F(PgAppTokensNodesTest, ATokenRevokedThroughOneNodeIsRefusedByTheOthersNextCheck) {
  auto before = node_b_->Authenticate(token_);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->app_id, "app_a");
  auto listed = node_b_->List("app_a", std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed)["data"].size(), 1u);
  EXPECT_EQ((*listed)["data"][0]["id"], token_id_);

  ASSERT_TRUE(node_a_->Revoke("app_a", token_id_).ok());
  EXPECT_EQ(node_b_->Authenticate(token_).status().code(), "unauthorized");
  EXPECT_EQ(node_a_->Authenticate(token_).status().code(), "unauthorized");
  // Revoking again through the other node is no 404.
  EXPECT_TRUE(node_b_->Revoke("app_a", token_id_).ok());
}

TEST_F(PgAppTokensNodesTest, WhileTheOtherNodeChecksInALoopTheRevocationIsRefusedAtOnce) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> refused_at_ns{0};
  std::atomic<int> checks{0};
  std::thread checker([&] {
    while (!stop.load()) {
      auto credential = node_b_->Authenticate(token_);
      checks.fetch_add(1);
      if (!credential.ok()) {
        if (credential.status().code() == "unauthorized") {
          refused_at_ns.store(SteadyClock::now().time_since_epoch().count());
        }
        return;
      }
    }
  });
  while (checks.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(node_a_->Revoke("app_a", token_id_).ok());
  const auto revoked = SteadyClock::now();
  const auto deadline = revoked + std::chrono::seconds(1);
  while (refused_at_ns.load() == 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  checker.join();
  ASSERT_NE(refused_at_ns.load(), 0) << "still accepted a second after the revocation";
  const auto delay = SteadyClock::time_point(SteadyClock::duration(refused_at_ns.load())) - revoked;
  // At most the one check that was already running when the revocation committed.
  EXPECT_LT(delay, std::chrono::milliseconds(100));
  std::cout << "checks before the revocation: " << checks.load() << ", refused "
            << std::chrono::duration_cast<std::chrono::microseconds>(delay).count()
            << " us after Revoke returned\n";
}

TEST_F(PgAppTokensNodesTest, ATokenOfAnApplicationDeletedThroughOneNodeIsRefusedByTheOther) {
  ASSERT_TRUE(node_b_->Authenticate(token_).ok());
  Status s = engine_.Exec("UPDATE applications SET deleted_at = 1 WHERE id = 'app_a'");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(node_b_->Authenticate(token_).status().code(), "unauthorized");
  EXPECT_EQ(node_b_->Create("app_a", nlohmann::json::object()).status().code(), "not_found");
}

}  // namespace
}  // namespace hookd::testing
