// Portal links on both engines, through PortalLinks over each engine's PortalCodeRepository: the
// code is stored as its digest and traded once, before it expires, for a session token (kind
// portal, expiring with the link, read-only when the link says so) that authenticates through the
// engine's AppTokenRepository; an unknown, used or expired code and a code of an application
// deleted meanwhile are all the same 401 invalid_code, the last leaving the code unused; a link
// for a deleted or unknown application is a 404; bad bodies are 422; expired codes are deleted
// when the next link is made. The same assertions run on both engines, so their answers agree.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "apps/app_tokens.h"
#include "apps/portal.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/random.h"
#include "common/time_format.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;

template <typename Engine>
class PortalCodeStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    codes_ = this->engine_.MakePortalCodeStore();
    token_store_ = this->engine_.MakeAppTokenStore();
    portal_ = std::make_unique<PortalLinks>(*codes_, clock_, random_);
    tokens_ = std::make_unique<AppTokens>(*token_store_, clock_, random_);
    Status s = this->engine_.Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at)"
        " VALUES ('app_a', 'acme', 'Acme', 0, 0), ('app_b', 'b', 'B', 0, 0)");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The code of a new link to `app_id`.
  std::string Link(const nlohmann::json& body = nlohmann::json::object(),
                   const std::string& app_id = "app_a") {
    auto link = portal_->CreateLink(app_id, body, "https://hookd.example");
    EXPECT_TRUE(link.ok()) << link.status().ToString();
    if (!link.ok()) return "";
    const std::string url = (*link)["url"];
    EXPECT_EQ(url.rfind("https://hookd.example/portal/#", 0), 0u) << url;
    return url.substr(url.find('#') + 1);
  }
  Result<nlohmann::json> Trade(const std::string& code) {
    return portal_->Exchange({{"code", code}});
  }
  void ExpectInvalidCode(const std::string& code) {
    auto r = Trade(code);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kUnauthenticated);
    EXPECT_EQ(r.status().code(), "invalid_code");
  }
  std::string UsedAt(const std::string& code) {
    std::string sql = "SELECT COALESCE(CAST(used_at AS TEXT), 'unused') FROM portal_codes";
    sql += " WHERE code_hash = '";
    sql += HexEncode(Sha256(code));
    sql += "'";
    return this->engine_.Text(sql);
  }

  FakeClock clock_{kNow};
  SeededRandom random_{5};
  std::unique_ptr<PortalCodeRepository> codes_;
  std::unique_ptr<AppTokenRepository> token_store_;
  std::unique_ptr<PortalLinks> portal_;
  std::unique_ptr<AppTokens> tokens_;
};

TYPED_TEST_SUITE(PortalCodeStoreTest, StoreEngines, EngineName);

TYPED_TEST(PortalCodeStoreTest, ACodeIsStoredAsItsDigestAndTradedOnce) {
  const std::string code = this->Link({{"expires_in", 600}});
  ASSERT_EQ(code.size(), 64u);
  std::string row = HexEncode(Sha256(code));
  row += "|app_a|0|";
  row += std::to_string(kNow);
  row += '|';
  row += std::to_string(kNow + 600'000);
  row += "|NULL\n";
  EXPECT_EQ(this->engine_.Rows("SELECT code_hash, app_id, read_only, created_at, expires_at,"
                               " used_at FROM portal_codes",
                               6),
            row);

  this->clock_.Advance(std::chrono::seconds(10));
  auto session = this->Trade(code);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)["app"],
            (nlohmann::json{{"id", "app_a"}, {"uid", "acme"}, {"name", "Acme"}}));
  EXPECT_EQ((*session)["read_only"], false);
  EXPECT_EQ((*session)["expires_at"], FormatRfc3339(kNow + 600'000));
  EXPECT_EQ(this->UsedAt(code), std::to_string(kNow + 10'000));
  const std::string token = (*session)["token"];
  std::string expected = "app_a|portal session|";
  expected += HexEncode(Sha256(token));
  expected += '|';
  expected += std::to_string(kNow + 10'000);
  expected += '|';
  expected += std::to_string(kNow + 600'000);
  expected += "|portal|0|NULL\n";
  EXPECT_EQ(this->engine_.Rows("SELECT app_id, name, token_hash, created_at, expires_at, kind,"
                               " read_only, revoked_at FROM app_tokens",
                               8),
            expected);
  auto who = this->tokens_->Authenticate(token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->app_id, "app_a");
  EXPECT_FALSE(who->read_only);

  // A second use is refused and changes nothing.
  this->clock_.Advance(std::chrono::seconds(1));
  this->ExpectInvalidCode(code);
  EXPECT_EQ(this->UsedAt(code), std::to_string(kNow + 10'000));
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM app_tokens"), 1);

  // The session ends with the link.
  this->clock_.Advance(std::chrono::seconds(600));
  auto late = this->tokens_->Authenticate(token);
  EXPECT_FALSE(late.ok());
}

TYPED_TEST(PortalCodeStoreTest, AReadOnlyLinkGivesAReadOnlySession) {
  const std::string code = this->Link({{"read_only", true}});
  EXPECT_EQ(this->engine_.Text("SELECT read_only FROM portal_codes"), "1");
  EXPECT_EQ(this->engine_.Text("SELECT expires_at FROM portal_codes"),
            std::to_string(kNow + kPortalDefaultExpiresIn * 1000));
  auto session = this->Trade(code);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)["read_only"], true);
  EXPECT_EQ(this->engine_.Text("SELECT read_only FROM app_tokens"), "1");
  auto who = this->tokens_->Authenticate((*session)["token"].template get<std::string>());
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_TRUE(who->read_only);
}

TYPED_TEST(PortalCodeStoreTest, UnknownAndExpiredCodesAreInvalid) {
  this->ExpectInvalidCode(std::string(64, 'a'));
  const std::string code = this->Link({{"expires_in", 60}});
  this->clock_.Advance(std::chrono::seconds(60));  // expires_at is not after now
  this->ExpectInvalidCode(code);
  EXPECT_EQ(this->UsedAt(code), "unused");
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM app_tokens"), 0);
  // The next link deletes it, and only it.
  const std::string live = this->Link();
  EXPECT_EQ(this->engine_.Text("SELECT code_hash FROM portal_codes"), HexEncode(Sha256(live)));
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM portal_codes"), 1);
  // A code of another application's link is no key to this one's: the code decides alone.
  const std::string other = this->Link(nlohmann::json::object(), "app_b");
  auto session = this->Trade(other);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)["app"]["id"], "app_b");
}

TYPED_TEST(PortalCodeStoreTest, ADeletedApplicationGetsNoLinkAndItsCodesTradeForNothing) {
  const std::string code = this->Link();
  Status s = this->engine_.Exec("UPDATE applications SET deleted_at = 1 WHERE id = 'app_a'");
  ASSERT_TRUE(s.ok()) << s.ToString();
  this->ExpectInvalidCode(code);
  // Refused in the transaction that would have used it: the code is left as it was.
  EXPECT_EQ(this->UsedAt(code), "unused");
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM app_tokens"), 0);

  auto link = this->portal_->CreateLink("app_a", nlohmann::json::object(), "https://h.example");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(link.status().message(), "no application app_a");
  auto unknown = this->portal_->CreateLink("app_zz", nlohmann::json::object(), "https://h");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM portal_codes"), 1);
}

TYPED_TEST(PortalCodeStoreTest, BadBodiesAreRefusedBeforeTheStore) {
  for (const nlohmann::json& body :
       {nlohmann::json{{"expires_in", 0}}, nlohmann::json{{"expires_in", kPortalMaxExpiresIn + 1}},
        nlohmann::json{{"read_only", "yes"}}, nlohmann::json{{"colour", "red"}}}) {
    auto link = this->portal_->CreateLink("app_a", body, "https://h.example");
    ASSERT_FALSE(link.ok()) << body.dump();
    EXPECT_EQ(link.status().kind(), ErrorKind::kInvalidField) << body.dump();
  }
  for (const nlohmann::json& body :
       {nlohmann::json::object(), nlohmann::json{{"code", ""}},
        nlohmann::json{{"code", std::string(257, 'a')}}, nlohmann::json{{"code", 5}},
        nlohmann::json{{"code", "x"}, {"extra", 1}}}) {
    auto r = this->portal_->Exchange(body);
    ASSERT_FALSE(r.ok()) << body.dump();
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField) << body.dump();
  }
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM portal_codes"), 0);
}

}  // namespace
}  // namespace hookd::testing
