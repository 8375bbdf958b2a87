// Application tokens on both engines, through AppTokens over each engine's AppTokenRepository:
// only the token's SHA-256 is stored; the list is newest first in insertion order (also within one
// millisecond, where the ids' order is random) with its `after` cursor; revoking is at once, twice
// is fine, and a token of another application is a 404 as an unknown one; a token is refused
// once expired, revoked or its application deleted, and a deleted application gets no token.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apps/app_tokens.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/random.h"
#include "common/time_format.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

template <typename Engine>
class AppTokenStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = this->engine_.MakeAppTokenStore();
    tokens_ = std::make_unique<AppTokens>(*store_, clock_, random_);
    Status s = this->engine_.Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at)"
        " VALUES ('app_a', 'a', 'A', 0, 0), ('app_b', 'b', 'B', 0, 0)");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A new token's {"id", "token", ...}.
  nlohmann::json Make(const std::string& app_id = "app_a",
                      const nlohmann::json& body = nlohmann::json::object()) {
    auto t = tokens_->Create(app_id, body);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : nlohmann::json::object();
  }

  std::vector<std::string> Ids(const std::string& app_id, const std::optional<std::string>& after,
                               int limit, bool* more = nullptr) {
    auto page = tokens_->List(app_id, after, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const auto& t : (*page)["data"]) ids.push_back(t["id"]);
      if (more) *more = !(*page)["next"].is_null();
    }
    return ids;
  }

  FakeClock clock_{kNow};
  SeededRandom random_{11};
  std::unique_ptr<AppTokenRepository> store_;
  std::unique_ptr<AppTokens> tokens_;
};

TYPED_TEST_SUITE(AppTokenStoreTest, StoreEngines, EngineName);

TYPED_TEST(AppTokenStoreTest, OnlyTheDigestIsStoredAndTheTokenAuthenticates) {
  const nlohmann::json made = this->Make("app_a", {{"name", "ci"}, {"expires_in", 3600}});
  const std::string token = made["token"];
  ASSERT_EQ(token.size(), std::string("hkd_app_").size() + 64);
  EXPECT_EQ(made["name"], "ci");
  EXPECT_EQ(made["expires_at"], FormatRfc3339(kNow + 3'600'000));
  EXPECT_EQ(this->engine_.Text("SELECT token_hash FROM app_tokens"), HexEncode(Sha256(token)));
  EXPECT_EQ(this->engine_.Text("SELECT expires_at FROM app_tokens"),
            std::to_string(kNow + 3'600'000));
  auto credential = this->tokens_->Authenticate(token);
  ASSERT_TRUE(credential.ok()) << credential.status().ToString();
  EXPECT_EQ(credential->app_id, "app_a");
  EXPECT_FALSE(credential->read_only);
  EXPECT_EQ(this->tokens_->Authenticate(token + "0").status().code(), "unauthorized");
  EXPECT_EQ(this->tokens_->Authenticate("hkd_app_").status().code(), "unauthorized");
  // The digest is no token.
  EXPECT_EQ(this->tokens_->Authenticate(HexEncode(Sha256(token))).status().code(), "unauthorized");
}

TYPED_TEST(AppTokenStoreTest, AReadOnlyPortalRowGrantsReadingOnly) {
  AppTokenRecord row;
  row.id = "tok_portal";
  row.app_id = "app_a";
  row.token_hash = HexEncode(Sha256("hkd_app_portal"));
  row.created_at = kNow;
  row.kind = "portal";
  row.read_only = true;
  ASSERT_TRUE(this->store_->Insert(row).ok());
  auto credential = this->tokens_->Authenticate("hkd_app_portal");
  ASSERT_TRUE(credential.ok()) << credential.status().ToString();
  EXPECT_TRUE(credential->read_only);
  auto page = this->tokens_->List("app_a", std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ((*page)["data"].size(), 1u);
  EXPECT_EQ((*page)["data"][0]["kind"], "portal");
  EXPECT_EQ((*page)["data"][0]["read_only"], true);
  EXPECT_EQ((*page)["data"][0]["expires_at"], nullptr);
  EXPECT_EQ((*page)["data"][0]["revoked_at"], nullptr);
}

TYPED_TEST(AppTokenStoreTest, ListsNewestFirstInInsertionOrderWithItsCursor) {
  // Five tokens in one millisecond: their ids' order is the randomness's, the list's is theirs.
  std::vector<std::string> made;
  for (int i = 0; i < 5; ++i) made.push_back(this->Make()["id"]);
  this->Make("app_b");
  const std::vector<std::string> newest_first(made.rbegin(), made.rend());
  bool more = false;
  EXPECT_EQ(this->Ids("app_a", std::nullopt, 10, &more), newest_first);
  EXPECT_FALSE(more);
  EXPECT_EQ(this->Ids("app_a", std::nullopt, 2, &more),
            (std::vector<std::string>{made[4], made[3]}));
  EXPECT_TRUE(more);
  EXPECT_EQ(this->Ids("app_a", made[3], 2, &more), (std::vector<std::string>{made[2], made[1]}));
  EXPECT_TRUE(more);
  EXPECT_EQ(this->Ids("app_a", made[1], 2, &more), (std::vector<std::string>{made[0]}));
  EXPECT_FALSE(more);
  // A cursor that is no token of the application's gives an empty page.
  EXPECT_TRUE(this->Ids("app_a", "tok_unknown", 10).empty());
  const std::string of_b = this->Ids("app_b", std::nullopt, 10).at(0);
  EXPECT_TRUE(this->Ids("app_a", of_b, 10).empty());
}

TYPED_TEST(AppTokenStoreTest, RevokedAtOnceAndA404ForAnotherApplicationsToken) {
  const nlohmann::json kept = this->Make();
  const nlohmann::json revoked = this->Make();
  const std::string revoked_id = revoked["id"];
  EXPECT_EQ(this->tokens_->Revoke("app_b", revoked_id).code(), "not_found");
  EXPECT_EQ(this->tokens_->Revoke("app_a", "tok_unknown").code(), "not_found");
  EXPECT_TRUE(this->tokens_->Authenticate(revoked["token"].get<std::string>()).ok());
  ASSERT_TRUE(this->tokens_->Revoke("app_a", revoked_id).ok());
  EXPECT_EQ(this->tokens_->Authenticate(revoked["token"].get<std::string>()).status().code(),
            "unauthorized");
  EXPECT_TRUE(this->tokens_->Authenticate(kept["token"].get<std::string>()).ok());
  // Twice is fine, and the first time is kept.
  this->clock_.Advance(std::chrono::seconds(5));
  EXPECT_TRUE(this->tokens_->Revoke("app_a", revoked_id).ok());
  auto page = this->tokens_->List("app_a", std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ((*page)["data"].size(), 2u);
  EXPECT_EQ((*page)["data"][0]["revoked_at"], FormatRfc3339(kNow));
  EXPECT_EQ((*page)["data"][1]["revoked_at"], nullptr);
}

TYPED_TEST(AppTokenStoreTest, ExpiredOrOfADeletedApplicationIsRefused) {
  const std::string expiring = this->Make("app_a", {{"expires_in", 60}})["token"];
  const std::string kept = this->Make()["token"];
  this->clock_.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(this->tokens_->Authenticate(expiring).ok());
  this->clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(this->tokens_->Authenticate(expiring).status().code(), "unauthorized");
  EXPECT_TRUE(this->tokens_->Authenticate(kept).ok());
  Status s = this->engine_.Exec("UPDATE applications SET deleted_at = 1 WHERE id = 'app_a'");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(this->tokens_->Authenticate(kept).status().code(), "unauthorized");
  // And a deleted application, or an unknown one, gets no new token.
  EXPECT_EQ(this->tokens_->Create("app_a", nlohmann::json::object()).status().code(), "not_found");
  EXPECT_EQ(this->tokens_->Create("app_zzz", nlohmann::json::object()).status().code(),
            "not_found");
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM app_tokens"), 2);
}

}  // namespace
}  // namespace hookd::testing
