// Portal codes with two nodes on one PostgreSQL (two PgPools, as two hookd processes have): the
// same code traded through both nodes at once, over many rounds, opens exactly one session; the
// other node gets invalid_code, the answer a second use gets on SQLite, and exactly one token is
// made per code.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "apps/portal.h"
#include "common/clock.h"
#include "common/random.h"
#include "storage/pg/pg_portal_code_store.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

class PgPortalNodesTest : public ::testing::Test {
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
    store_a_ = std::make_unique<PgPortalCodeStore>(engine_.pool());
    store_b_ = std::make_unique<PgPortalCodeStore>(*other_pool_);
    node_a_ = std::make_unique<PortalLinks>(*store_a_, clock_, random_a_);
    node_b_ = std::make_unique<PortalLinks>(*store_b_, clock_, random_b_);
  }

  PgEngine engine_;
  SystemClock clock_;
  SeededRandom random_a_{1};
  SeededRandom random_b_{2};
  std::unique_ptr<PgPool> other_pool_;  // the second node's
  std::unique_ptr<PgPortalCodeStore> store_a_;
  std::unique_ptr<PgPortalCodeStore> store_b_;
  std::unique_ptr<PortalLinks> node_a_;
  std::unique_ptr<PortalLinks> node_b_;
};

TEST_F(PgPortalNodesTest, OneCodeTradedThroughTwoNodesAtOnceOpensExactlyOneSession) {
  constexpr int kRounds = 100;
  for (int round = 0; round < kRounds; ++round) {
    auto link = node_a_->CreateLink("app_a", nlohmann::json::object(), "https://h.example");
    ASSERT_TRUE(link.ok()) << link.status().ToString();
    const std::string url = (*link)["url"];
    const nlohmann::json body = {{"code", url.substr(url.find('#') + 1)}};
    std::optional<Result<nlohmann::json>> a, b;
    std::thread ta([&] { a.emplace(node_a_->Exchange(body)); });
    std::thread tb([&] { b.emplace(node_b_->Exchange(body)); });
    ta.join();
    tb.join();
    ASSERT_EQ(a->ok() + b->ok(), 1)
        << "round " << round << ": " << a->status().ToString() << " / " << b->status().ToString();
    const Status& lost = a->ok() ? b->status() : a->status();
    EXPECT_EQ(lost.kind(), ErrorKind::kUnauthenticated) << lost.ToString();
    EXPECT_EQ(lost.code(), "invalid_code") << lost.ToString();
  }
  EXPECT_EQ(std::stoll(engine_.Text("SELECT COUNT(*) FROM app_tokens")), kRounds);
  EXPECT_EQ(std::stoll(engine_.Text("SELECT COUNT(*) FROM portal_codes WHERE used_at IS NULL")), 0);
}

}  // namespace
}  // namespace hookd::testing
