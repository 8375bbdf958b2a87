// Application tokens on their own (apps/app_tokens.h), on a fake clock: shown once, stored as a
// digest, refused once expired, revoked, or their application deleted.
#include "apps/app_tokens.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

class AppTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO applications (id, uid, name, created_at, updated_at)"
                           " VALUES ('app_a', 'a', 'A', 0, 0)")
                    .ok());
  }
  std::string Make(const nlohmann::json& body = nlohmann::json::object()) {
    auto t = tokens_.Create("app_a", body);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? (*t)["token"].get<std::string>() : "";
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
  FakeClock clock_{kNow};
  SeededRandom random_{11};
  AppTokens tokens_{*pool_, clock_, random_};
};

TEST_F(AppTokensTest, OnlyTheDigestIsStored) {
  const std::string token = Make();
  ASSERT_EQ(token.size(), std::string("hkd_app_").size() + 64);
  auto db = pool_->Acquire();
  auto st = (*db)->Prepare("SELECT token_hash FROM app_tokens");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Text(0), HexEncode(Sha256(token)));
  EXPECT_EQ(tokens_.Authenticate(token)->app_id, "app_a");
  EXPECT_FALSE(tokens_.Authenticate(token)->read_only);
  EXPECT_FALSE(tokens_.Authenticate(token + "0").ok());
  EXPECT_FALSE(tokens_.Authenticate("hkd_app_").ok());
  EXPECT_FALSE(tokens_.Authenticate(HexEncode(Sha256(token))).ok());  // the digest is no token
}

TEST_F(AppTokensTest, AnExpiredTokenIsRefused) {
  const std::string token = Make({{"expires_in", 60}});
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(tokens_.Authenticate(token).ok());
  clock_.Advance(std::chrono::seconds(1));
  auto late = tokens_.Authenticate(token);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), "unauthorized");
}

TEST_F(AppTokensTest, RevokedOrOfADeletedApplicationIsRefused) {
  const std::string kept = Make();
  const std::string revoked = Make();
  auto list = tokens_.List("app_a", std::nullopt, 50);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["data"].size(), 2u);
  const std::string revoked_id = (*list)["data"][0]["id"];  // newest first
  EXPECT_EQ(tokens_.Revoke("app_other", revoked_id).code(), "not_found");
  ASSERT_TRUE(tokens_.Revoke("app_a", revoked_id).ok());
  EXPECT_FALSE(tokens_.Authenticate(revoked).ok());
  EXPECT_TRUE(tokens_.Authenticate(kept).ok());
  auto db = pool_->Acquire();
  ASSERT_TRUE((*db)->Exec("UPDATE applications SET deleted_at = 1 WHERE id = 'app_a'").ok());
  EXPECT_FALSE(tokens_.Authenticate(kept).ok());
  // And a deleted application gets no new token.
  EXPECT_EQ(tokens_.Create("app_a", nlohmann::json::object()).status().code(), "not_found");
}

}  // namespace
}  // namespace hookd
