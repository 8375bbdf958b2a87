// Portal links on their own (apps/portal.h), on a fake clock: the code is stored as a digest,
// traded once before it expires, for a session that expires with the link and is read-only when
// the link says so; a deleted application's link trades for nothing.
#include "apps/portal.h"

#include <gtest/gtest.h>

#include "apps/app_tokens.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/http_errors.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

class PortalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO applications (id, uid, name, created_at, updated_at)"
                           " VALUES ('app_a', 'acme', 'Acme', 0, 0)")
                    .ok());
  }
  // The code of a new link to app_a.
  std::string Link(const nlohmann::json& body = nlohmann::json::object()) {
    auto link = portal_.CreateLink("app_a", body, "https://hookd.example");
    EXPECT_TRUE(link.ok()) << link.status().message();
    if (!link.ok()) return "";
    const std::string url = (*link)["url"];
    EXPECT_EQ(url.rfind("https://hookd.example/portal/#", 0), 0u) << url;
    return url.substr(url.find('#') + 1);
  }
  Result<nlohmann::json> Trade(const std::string& code) {
    return portal_.Exchange({{"code", code}});
  }
  int64_t Count(const std::string& sql) {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare(sql);
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Int(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
  FakeClock clock_{kNow};
  SeededRandom random_{5};
  PortalLinks portal_{*pool_, clock_, random_};
  AppTokens tokens_{*pool_, clock_, random_};
};

TEST_F(PortalTest, ACodeIsStoredAsItsDigestAndTradedOnceForASessionThatExpiresWithTheLink) {
  const std::string code = Link({{"expires_in", 600}});
  ASSERT_EQ(code.size(), 64u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM portal_codes WHERE code_hash = '" +
                  HexEncode(Sha256(code)) + "'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM portal_codes WHERE code_hash = '" + code + "'"), 0);

  auto session = Trade(code);
  ASSERT_TRUE(session.ok()) << session.status().message();
  EXPECT_EQ((*session)["app"],
            (nlohmann::json{{"id", "app_a"}, {"uid", "acme"}, {"name", "Acme"}}));
  EXPECT_EQ((*session)["read_only"], false);
  const std::string token = (*session)["token"];
  auto who = tokens_.Authenticate(token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->app_id, "app_a");
  EXPECT_FALSE(who->read_only);

  auto again = Trade(code);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), "invalid_code");

  clock_.Advance(std::chrono::seconds(599));
  EXPECT_TRUE(tokens_.Authenticate(token).ok());
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_FALSE(tokens_.Authenticate(token).ok()) << "the session ends with the link";
}

// Guesses are refused from a read: while another connection holds the write lock, a wrong code
// is still answered at once (it would otherwise wait behind the writer).
TEST_F(PortalTest, AWrongCodeIsRefusedWithoutTakingTheWriteLock) {
  const std::string code = Link();
  auto writer = pool_->Acquire();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Exec("BEGIN IMMEDIATE").ok());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Trade(std::string(64, 'f')).status().code(), "invalid_code");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_TRUE((*writer)->Exec("ROLLBACK").ok());
  EXPECT_TRUE(Trade(code).ok()) << "the real code still trades";
}

TEST_F(PortalTest, AnExpiredOrUnknownCodeIsRefusedAndExpiredCodesAreDeleted) {
  const std::string code = Link({{"expires_in", 1}});
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Trade(code).status().code(), "invalid_code");
  EXPECT_EQ(Trade(std::string(64, '0')).status().code(), "invalid_code");
  Link();  // deletes the expired one on the way
  EXPECT_EQ(Count("SELECT COUNT(*) FROM portal_codes"), 1);
}

TEST_F(PortalTest, AReadOnlyLinkMakesAReadOnlySessionListedAmongTheTokens) {
  auto session = Trade(Link({{"read_only", true}}));
  ASSERT_TRUE(session.ok());
  EXPECT_EQ((*session)["read_only"], true);
  auto who = tokens_.Authenticate((*session)["token"].get<std::string>());
  ASSERT_TRUE(who.ok());
  EXPECT_TRUE(who->read_only);
  auto list = tokens_.List("app_a", std::nullopt, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["data"].size(), 1u);
  EXPECT_EQ((*list)["data"][0]["kind"], "portal");
  EXPECT_EQ((*list)["data"][0]["read_only"], true);
}

TEST_F(PortalTest, ADeletedApplicationGetsNoLinkAndItsLinksTradeForNothing) {
  const std::string code = Link();
  auto db = pool_->Acquire();
  ASSERT_TRUE((*db)->Exec("UPDATE applications SET deleted_at = 1 WHERE id = 'app_a'").ok());
  EXPECT_EQ(Trade(code).status().code(), "invalid_code");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM app_tokens"), 0) << "no session was made";
  auto link = portal_.CreateLink("app_a", nlohmann::json::object(), "https://hookd.example");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(ErrorResponse(link.status()).status, 404);
}

TEST_F(PortalTest, BadBodiesAreRefusedAndMakeNothing) {
  for (const char* body : {R"({"expires_in": 0})", R"({"expires_in": 604801})",
                           R"({"expires_in": "1h"})", R"({"read_only": 1})", R"({"x": 1})"}) {
    auto link = portal_.CreateLink("app_a", nlohmann::json::parse(body), "https://h");
    ASSERT_FALSE(link.ok()) << body;
    EXPECT_EQ(ErrorResponse(link.status()).status, 422) << body;
  }
  for (const char* body :
       {R"({})", R"({"code": ""})", R"({"code": 5})", R"({"code": "a", "x": 1})"}) {
    auto session = portal_.Exchange(nlohmann::json::parse(body));
    ASSERT_FALSE(session.ok()) << body;
    EXPECT_EQ(ErrorResponse(session.status()).status, 422) << body;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM portal_codes"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM app_tokens"), 0);
}

}  // namespace
}  // namespace hookd
