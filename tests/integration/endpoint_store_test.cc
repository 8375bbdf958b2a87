// The endpoint store on both engines: insert (only into a live application), get, update, delete
// with their 404s, the newest-first list with its `after` cursor and application filter, the
// snapshot in id order, and the endpoints version, which counts settings changes and not the
// delivery engine's own failing_since, circuit and circuit_retry_at.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

Endpoint MakeEndpoint(const std::string& id, const std::string& app_id = "app_default") {
  Endpoint e;
  e.id = id;
  e.app_id = app_id;
  e.url = "https://receiver.example/hooks";
  e.description = "endpoint " + id;
  e.filter.event_types = {"invoice.paid", "user.*"};
  e.filter.source_ids = {"src_1"};
  e.headers = {{"X-Team", "billing"}, {"X-Env", "prod"}};
  e.secret = "whsec_current";
  e.forward_headers = {"x-request-id", "x-github-*"};
  e.created_at = 1'700'000'000'000;
  e.updated_at = 1'700'000'000'001;
  return e;
}

template <typename Engine>
class EndpointStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = this->engine_.MakeEndpointStore();
    Status s = this->engine_.Exec(
        "INSERT INTO applications (id, name, created_at, updated_at)"
        " VALUES ('app_other', 'other', 1, 1)");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<std::string> Ids(const std::optional<std::string>& after, int limit,
                               const std::optional<std::string>& app_id = std::nullopt) {
    auto page = store_->List(after, limit, app_id);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const Endpoint& e : *page) ids.push_back(e.id);
    }
    return ids;
  }

  int64_t Version() {
    auto v = store_->Version();
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  std::unique_ptr<EndpointRepository> store_;
};

TYPED_TEST_SUITE(EndpointStoreTest, StoreEngines, EngineName);

TYPED_TEST(EndpointStoreTest, InsertGetUpdateDelete) {
  Endpoint e = MakeEndpoint("ep_1");
  e.previous_secrets = {{"whsec_newer", 9000}, {"whsec_older", 8000}};
  e.rate_limit_per_second = 25;
  ASSERT_TRUE(this->store_->Insert(e).ok());
  auto got = this->store_->Get("ep_1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, "ep_1");
  EXPECT_EQ(got->app_id, "app_default");
  EXPECT_EQ(got->kind, "http");
  EXPECT_EQ(got->url, e.url);
  EXPECT_EQ(got->description, e.description);
  EXPECT_EQ(got->filter.event_types, e.filter.event_types);
  EXPECT_EQ(got->filter.source_ids, e.filter.source_ids);
  // Headers are a JSON object, so they come back in name order.
  EXPECT_EQ(got->headers, (std::vector<std::pair<std::string, std::string>>{
                              {"X-Env", "prod"}, {"X-Team", "billing"}}));
  EXPECT_EQ(got->secret, "whsec_current");
  EXPECT_EQ(got->previous_secrets, e.previous_secrets);
  EXPECT_EQ(got->forward_headers, e.forward_headers);
  EXPECT_EQ(got->rate_limit_per_second, std::optional<int64_t>(25));
  EXPECT_FALSE(got->disabled);
  EXPECT_EQ(got->failing_since, std::nullopt);
  EXPECT_EQ(got->circuit, "closed");
  EXPECT_EQ(got->circuit_retry_at, std::nullopt);
  EXPECT_EQ(got->created_at, e.created_at);
  EXPECT_EQ(got->updated_at, e.updated_at);
  // The same JSON on both engines, and the legacy columns hold the newest previous secret.
  EXPECT_EQ(this->engine_.Text("SELECT event_types FROM endpoints WHERE id = 'ep_1'"),
            R"(["invoice.paid","user.*"])");
  EXPECT_EQ(this->engine_.Text("SELECT headers FROM endpoints WHERE id = 'ep_1'"),
            R"({"X-Env":"prod","X-Team":"billing"})");
  EXPECT_EQ(this->engine_.Text("SELECT previous_secret FROM endpoints WHERE id = 'ep_1'"),
            "whsec_newer");
  EXPECT_EQ(this->Count("SELECT previous_expires_at FROM endpoints WHERE id = 'ep_1'"), 9000);
  EXPECT_FALSE(this->store_->Insert(e).ok());  // ids are unique

  e.url = "https://receiver.example/v2";
  e.filter.event_types.clear();
  e.headers.clear();
  e.previous_secrets.clear();
  e.rate_limit_per_second.reset();
  e.disabled = true;
  e.disabled_reason = "by hand";
  e.failing_since = 1'700'000'000'100;
  e.updated_at = 1'700'000'000'500;
  e.app_id = "app_other";  // never changed by an update
  e.kind = "cli";          // nor is this
  ASSERT_TRUE(this->store_->Update(e).ok());
  got = this->store_->Get("ep_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->url, "https://receiver.example/v2");
  EXPECT_TRUE(got->filter.event_types.empty());
  EXPECT_TRUE(got->headers.empty());
  EXPECT_TRUE(got->previous_secrets.empty());
  EXPECT_EQ(got->rate_limit_per_second, std::nullopt);
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(got->disabled_reason, "by hand");
  EXPECT_EQ(got->failing_since, std::optional<int64_t>(1'700'000'000'100));
  EXPECT_EQ(got->updated_at, 1'700'000'000'500);
  EXPECT_EQ(got->app_id, "app_default");
  EXPECT_EQ(got->kind, "http");
  EXPECT_EQ(this->engine_.Text("SELECT previous_secret FROM endpoints WHERE id = 'ep_1'"), "");
  EXPECT_EQ(this->Count("SELECT previous_expires_at FROM endpoints WHERE id = 'ep_1'"), 0);

  ASSERT_TRUE(this->store_->Delete("ep_1").ok());
  EXPECT_EQ(this->store_->Get("ep_1").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Delete("ep_1").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Update(e).kind(), ErrorKind::kNotFound);
}

TYPED_TEST(EndpointStoreTest, InsertsOnlyIntoALiveApplication) {
  EXPECT_EQ(this->store_->Insert(MakeEndpoint("ep_1", "app_missing")).kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(
      this->engine_.Exec("UPDATE applications SET deleted_at = 5 WHERE id = 'app_other'").ok());
  EXPECT_EQ(this->store_->Insert(MakeEndpoint("ep_2", "app_other")).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->Count("SELECT count(*) FROM endpoints"), 0);
}

TYPED_TEST(EndpointStoreTest, ListsNewestFirstByIdWithACursorAndAnApplicationFilter) {
  // Byte order: "ep_B" < "ep_a" (a linguistic collation would put them the other way).
  for (const char* id : {"ep_a", "ep_B", "ep_c", "ep_d"})
    ASSERT_TRUE(this->store_->Insert(MakeEndpoint(id)).ok());
  for (const char* id : {"ep_b2", "ep_e"})
    ASSERT_TRUE(this->store_->Insert(MakeEndpoint(id, "app_other")).ok());

  EXPECT_EQ(this->Ids(std::nullopt, 2),
            (std::vector<std::string>{"ep_e", "ep_d", "ep_c"}));  // limit + 1
  EXPECT_EQ(this->Ids("ep_c", 10), (std::vector<std::string>{"ep_b2", "ep_a", "ep_B"}));
  EXPECT_EQ(this->Ids("ep_B", 10), std::vector<std::string>{});
  EXPECT_EQ(this->Ids(std::nullopt, 1, std::string("app_default")),
            (std::vector<std::string>{"ep_d", "ep_c"}));
  EXPECT_EQ(this->Ids("ep_c", 5, std::string("app_default")),
            (std::vector<std::string>{"ep_a", "ep_B"}));
  EXPECT_EQ(this->Ids(std::nullopt, 5, std::string("app_other")),
            (std::vector<std::string>{"ep_e", "ep_b2"}));
  EXPECT_EQ(this->Ids(std::nullopt, 5, std::string("app_none")), std::vector<std::string>{});

  auto all = this->store_->All();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> ids;
  for (const Endpoint& e : *all) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"ep_B", "ep_a", "ep_b2", "ep_c", "ep_d", "ep_e"}));
}

TYPED_TEST(EndpointStoreTest, TheVersionCountsSettingsChangesOnly) {
  const int64_t start = this->Version();
  Endpoint e = MakeEndpoint("ep_1");
  ASSERT_TRUE(this->store_->Insert(e).ok());
  EXPECT_EQ(this->Version(), start + 1);

  // The delivery engine's own fields, and an update that changes no setting, leave it alone.
  ASSERT_TRUE(this->engine_
                  .Exec("UPDATE endpoints SET failing_since = 7, circuit = 'open',"
                        " circuit_retry_at = 9 WHERE id = 'ep_1'")
                  .ok());
  EXPECT_EQ(this->Version(), start + 1);
  e.updated_at += 1;
  ASSERT_TRUE(this->store_->Update(e).ok());
  EXPECT_EQ(this->Version(), start + 1);

  e.disabled = true;
  ASSERT_TRUE(this->store_->Update(e).ok());
  EXPECT_EQ(this->Version(), start + 2);
  e.filter.event_types = {"order.*"};
  ASSERT_TRUE(this->store_->Update(e).ok());
  EXPECT_EQ(this->Version(), start + 3);
  e.secret = "whsec_rotated";
  ASSERT_TRUE(this->store_->Update(e).ok());
  EXPECT_EQ(this->Version(), start + 4);

  auto versioned = this->store_->AllVersioned();
  ASSERT_TRUE(versioned.ok()) << versioned.status().ToString();
  EXPECT_EQ(versioned->version, start + 4);
  ASSERT_EQ(versioned->endpoints.size(), 1u);
  EXPECT_TRUE(versioned->endpoints[0].disabled);
  EXPECT_EQ(versioned->endpoints[0].circuit, "open");
  EXPECT_EQ(versioned->endpoints[0].circuit_retry_at, std::optional<int64_t>(9));

  ASSERT_TRUE(this->store_->Delete("ep_1").ok());
  EXPECT_EQ(this->Version(), start + 5);
  EXPECT_EQ(this->store_->Delete("ep_1").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->Version(), start + 5);
}

}  // namespace
}  // namespace hookd::testing
