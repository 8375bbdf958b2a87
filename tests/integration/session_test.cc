// Browser sessions through the real stores: the store's queries and sessions surviving a restart
// and ending with the admin token on both engines (SqliteSessionStore, PgSessionStore), a full
// disk answering 503 on SQLite, and sign-in and sign-out over HTTP.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/migrations.h"
#include "common/random.h"
#include "tests/integration/test_server.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/store_engines.h"
#include "tests/testing/temp_dir.h"
#include "web/sessions.h"
#include "web/sqlite_session_store.h"

namespace hookd {
namespace {

using hookd::testing::TempDir;
using hookd::testing::TestServer;
using nlohmann::json;

template <typename Engine>
class SessionStoreTest : public testing::EngineTest<Engine> {
 protected:
  void SetUp() override {
    testing::EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = this->engine_.MakeSessionStore();
  }

  std::unique_ptr<SessionStore> store_;
  FakeClock clock_{1'700'000'000'000};
  SecureRandom random_;
};

TYPED_TEST_SUITE(SessionStoreTest, testing::StoreEngines, testing::EngineName);

TYPED_TEST(SessionStoreTest, StoreQueries) {
  SessionStore& store = *this->store_;
  ASSERT_TRUE(store.Insert({"h1", "fp", 1000, 1000}).ok());
  ASSERT_TRUE(store.Insert({"h2", "fp", 2000, 5000}).ok());
  ASSERT_TRUE(store.Insert({"h3", "other", 3000, 9000}).ok());
  EXPECT_FALSE(store.Insert({"h1", "fp", 1, 1}).ok());  // ids are unique

  auto got = store.Get("h2");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->id_hash, "h2");
  EXPECT_EQ((*got)->token_fingerprint, "fp");
  EXPECT_EQ((*got)->created_at, 2000);
  EXPECT_EQ((*got)->last_seen_at, 5000);
  auto missing = store.Get("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  // Touch only raises last_seen_at.
  ASSERT_TRUE(store.Touch("h2", 4000).ok());
  EXPECT_EQ((*store.Get("h2"))->last_seen_at, 5000);
  ASSERT_TRUE(store.Touch("h2", 6000).ok());
  EXPECT_EQ((*store.Get("h2"))->last_seen_at, 6000);
  EXPECT_TRUE(store.Touch("nope", 1).ok());

  // Stale: idle (h1 last seen before 1500), too old (none before 500), another token (h3).
  ASSERT_TRUE(store.DeleteStale(1500, 500, "fp").ok());
  EXPECT_FALSE(store.Get("h1")->has_value());
  EXPECT_TRUE(store.Get("h2")->has_value());
  EXPECT_FALSE(store.Get("h3")->has_value());
  ASSERT_TRUE(store.DeleteStale(0, 2001, "fp").ok());  // created before 2001
  EXPECT_FALSE(store.Get("h2")->has_value());

  ASSERT_TRUE(store.Insert({"h4", "fp", 1, 1}).ok());
  auto deleted = store.Delete("h4");
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  deleted = store.Delete("h4");
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(*deleted);
}

TYPED_TEST(SessionStoreTest, SessionsSurviveARestartAndEndWithTheToken) {
  SessionStore& store = *this->store_;
  std::string value;
  {
    Sessions s(store, this->clock_, this->random_, Sessions::TokenFingerprint("token-1"));
    auto created = s.Create();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    value = created->value;
  }
  // The database holds a hash of the value, not the value.
  const std::string row = this->engine_.Text("SELECT id_hash || token_fingerprint FROM sessions");
  ASSERT_FALSE(row.empty());
  EXPECT_EQ(row.find(value), std::string::npos);
  EXPECT_EQ(row.find("token-1"), std::string::npos);

  Sessions same_token(store, this->clock_, this->random_, Sessions::TokenFingerprint("token-1"));
  EXPECT_TRUE(same_token.Validate(value).ok());
  Sessions new_token(store, this->clock_, this->random_, Sessions::TokenFingerprint("token-2"));
  EXPECT_EQ(new_token.Validate(value).kind(), ErrorKind::kUnauthenticated);
  ASSERT_TRUE(new_token.DeleteStale().ok());
  EXPECT_FALSE(store.Get(HexEncode(Sha256(value)))->has_value());
}

// SQLite only: a database that cannot grow.
class SqliteSessionsTest : public ::testing::Test {
 protected:
  SqliteSessionsTest() : pool_(dir_.path() + "/hookd.db", DbOptions{}), clock_(1'700'000'000'000) {
    testing::Migrate(pool_);
  }

  TempDir dir_;
  DbPool pool_;
  SqliteSessionStore store_{pool_};
  FakeClock clock_;
  SecureRandom random_;
};

TEST_F(SqliteSessionsTest, AFullDiskRefusesSignInWith503) {
  Sessions s(store_, clock_, random_, Sessions::TokenFingerprint("token"));
  {
    // The pool lends this one connection to every call below.
    auto db = pool_.Acquire();
    ASSERT_TRUE(db.ok());
    auto st = (*db)->Prepare("PRAGMA page_count");
    ASSERT_TRUE(st.ok() && *st->Step());
    const int64_t pages = st->Int(0);
    ASSERT_TRUE((*db)->Exec("PRAGMA max_page_count = " + std::to_string(pages)).ok());
  }
  Status failure;
  for (int i = 0; i < 10000 && failure.ok(); ++i) {
    auto created = s.Create();
    if (!created.ok()) failure = created.status();
  }
  ASSERT_FALSE(failure.ok()) << "the database never filled up";
  EXPECT_EQ(failure.kind(), ErrorKind::kUnavailable) << failure.ToString();
}

TEST(SessionServerIntegration, SignInSignOutAndATokenChangeOverHttp) {
  TempDir dir;
  std::string pair;
  {
    TestServer t(dir.path());
    auto a = t.client().Post("/api/v1/session", json{{"token", "test-token"}}.dump(),
                             "application/json");
    auto b = t.client().Post("/api/v1/session", json{{"token", "test-token"}}.dump(),
                             "application/json");
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->status, 200) << a->body;
    const std::string ca = a->get_header_value("Set-Cookie");
    const std::string cb = b->get_header_value("Set-Cookie");
    EXPECT_NE(ca.substr(0, ca.find(';')), cb.substr(0, cb.find(';')));
    pair = ca.substr(0, ca.find(';'));
    const std::string other = cb.substr(0, cb.find(';'));

    auto ok = t.client().Get("/api/v1/sources", {{"Cookie", pair}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    auto out = t.client().Delete("/api/v1/session", {{"Cookie", other}});
    ASSERT_TRUE(out);
    EXPECT_EQ(out->status, 200);
    EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
    auto refused = t.client().Get("/api/v1/sources", {{"Cookie", other}});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
  }
  {
    TestServer same(dir.path());  // a restart, same token: still signed in
    auto r = same.client().Get("/api/v1/sources", {{"Cookie", pair}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  Settings settings;
  settings.admin_token = "another-token";
  TestServer changed(dir.path(), nullptr, settings);
  auto r = changed.client().Get("/api/v1/sources", {{"Cookie", pair}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "unauthorized");
}

}  // namespace
}  // namespace hookd
