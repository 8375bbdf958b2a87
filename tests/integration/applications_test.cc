// Applications through a real server (API.md, "Applications (tenants)"): created, upserted by
// uid, found by id or uid, searched, renamed and deleted; the default application holding what
// the unscoped routes make; and isolation: a message reaches only its own application's
// endpoints, another application's endpoint is 404 under the wrong application, Idempotency-Keys
// are per application, and a deleted application is neither served nor attempted.
#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/crypto.h"
#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/scripted_receiver.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using nlohmann::json;

class ApplicationsIntegration : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  httplib::Result Put(const std::string& path, const json& body) {
    return t_.client().Put(path, t_.Admin(), body.dump(), "application/json");
  }
  httplib::Result Patch(const std::string& path, const json& body) {
    return t_.client().Patch(path, t_.Admin(), body.dump(), "application/json");
  }
  httplib::Result Delete(const std::string& path) { return t_.client().Delete(path, t_.Admin()); }
  static std::string Code(const httplib::Result& r) {
    auto j = json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
  json App(const std::string& name, const std::string& uid) {
    auto r = t_.Post("/api/v1/apps", {{"name", name}, {"uid", uid}});
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r ? json::parse(r->body) : json();
  }

  TestServer t_{"", nullptr, LocalDeliverySettings()};
};

TEST_F(ApplicationsIntegration, CreatedUpsertedFoundSearchedRenamedAndDeleted) {
  auto created = t_.Post("/api/v1/apps",
                         {{"name", "Acme Corp"}, {"uid", "acme"}, {"metadata", {{"plan", "pro"}}}});
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const json acme = json::parse(created->body);
  const std::string id = acme["id"];
  EXPECT_EQ(id.rfind("app_", 0), 0u);
  EXPECT_EQ(acme["uid"], "acme");
  EXPECT_EQ(acme["metadata"]["plan"], "pro");

  // By id and by uid alike.
  EXPECT_EQ(t_.GetJson("/api/v1/apps/" + id)["uid"], "acme");
  EXPECT_EQ(t_.GetJson("/api/v1/apps/acme")["id"], id);

  // A uid names one application.
  auto twice = t_.Post("/api/v1/apps", {{"name", "Other"}, {"uid", "acme"}});
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409);
  EXPECT_EQ(Code(twice), "uid_in_use");

  // PUT by uid: 201 the first time, 200 after, the same application.
  auto put1 = Put("/api/v1/apps/globex", {{"name", "Globex"}});
  ASSERT_TRUE(put1);
  EXPECT_EQ(put1->status, 201) << put1->body;
  auto put2 = Put("/api/v1/apps/globex", {{"name", "Globex Inc"}});
  ASSERT_TRUE(put2);
  EXPECT_EQ(put2->status, 200) << put2->body;
  EXPECT_EQ(json::parse(put1->body)["id"], json::parse(put2->body)["id"]);
  EXPECT_EQ(json::parse(put2->body)["name"], "Globex Inc");
  auto nameless = Put("/api/v1/apps/initech", json::object());
  ASSERT_TRUE(nameless);
  EXPECT_EQ(nameless->status, 422);

  // Search: the start of the name or the uid, or the whole id; LIKE's wildcards are literal.
  auto names = [&](const std::string& q) {
    std::vector<std::string> out;
    auto r = t_.Get("/api/v1/apps?search=" + q);
    EXPECT_TRUE(r && r->status == 200) << q << ": " << (r ? r->body : "no answer");
    const json list = json::parse(r->body);
    for (const json& a : list["data"]) out.push_back(a["name"]);
    return out;
  };
  EXPECT_EQ(names("Glo"), std::vector<std::string>{"Globex Inc"});
  EXPECT_EQ(names("acm"), std::vector<std::string>{"Acme Corp"});
  EXPECT_EQ(names(id), std::vector<std::string>{"Acme Corp"});
  EXPECT_TRUE(names("%25").empty());
  EXPECT_TRUE(names("_").empty());
  // Newest first, paged by the cursor; the default application is there too.
  json page = t_.GetJson("/api/v1/apps?limit=2");
  ASSERT_EQ(page["data"].size(), 2u);
  EXPECT_EQ(page["data"][0]["uid"], "globex");
  json rest = t_.GetJson("/api/v1/apps?limit=2&after=" + page["next"].get<std::string>());
  ASSERT_EQ(rest["data"].size(), 1u);
  EXPECT_EQ(rest["data"][0]["id"], "app_default");
  EXPECT_EQ(rest["data"][0]["uid"], "default");

  auto renamed = Patch("/api/v1/apps/" + id, {{"name", "Acme"}, {"uid", "acme-2"}});
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->status, 200) << renamed->body;
  EXPECT_EQ(t_.GetJson("/api/v1/apps/acme-2")["name"], "Acme");
  EXPECT_TRUE(t_.GetJson("/api/v1/apps/acme").is_null());

  auto gone = Delete("/api/v1/apps/acme-2");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 204);
  EXPECT_EQ(t_.Get("/api/v1/apps/" + id)->status, 404);
  EXPECT_EQ(Delete("/api/v1/apps/" + id)->status, 404);
  // Its uid is free again.
  App("Acme again", "acme-2");

  // The default application stays.
  auto keep = Delete("/api/v1/apps/default");
  ASSERT_TRUE(keep);
  EXPECT_EQ(keep->status, 409);
  EXPECT_EQ(Code(keep), "default_application");
  EXPECT_EQ(Patch("/api/v1/apps/default", {{"uid", "mine"}})->status, 409);
}

TEST_F(ApplicationsIntegration, BadInputIsRefusedAndChangesNothing) {
  const std::vector<json> bad = {
      json::object(),                                              // no name
      {{"name", ""}},                                              // empty name
      {{"name", std::string(257, 'n')}},                           // too long
      {{"name", "x"}, {"uid", "has space"}},                       // not a uid
      {{"name", "x"}, {"uid", std::string(65, 'u')}},              // too long
      {{"name", "x"}, {"uid", "app_01ARZ3NDEKTSV4RRFFQ69G5FAV"}},  // looks like an id
      {{"name", "x"}, {"uid", 7}},
      {{"name", "x"}, {"metadata", {{"k", 1}}}},
      {{"name", "x"}, {"metadata", "flat"}},
      {{"name", "x"}, {"owner", "me"}},  // unknown field
  };
  for (const json& body : bad) {
    auto r = t_.Post("/api/v1/apps", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << body.dump() << " → " << r->body;
    EXPECT_EQ(Code(r), "invalid_field") << body.dump();
  }
  auto not_json = t_.client().Post("/api/v1/apps", t_.Admin(), "{", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  // Hostile bytes: not UTF-8 in the path and the body, JSON nested 100,000 deep.
  auto bad_uid = Put("/api/v1/apps/%FF%FE", {{"name", "x"}});
  ASSERT_TRUE(bad_uid);
  EXPECT_EQ(bad_uid->status, 422) << bad_uid->body;
  EXPECT_EQ(t_.Get("/api/v1/apps/%FF%FE")->status, 404);
  auto not_utf8 =
      t_.client().Post("/api/v1/apps", t_.Admin(), "{\"name\": \"\xff\xfe\"}", "application/json");
  ASSERT_TRUE(not_utf8);
  EXPECT_EQ(not_utf8->status, 400) << not_utf8->body;
  const std::string deep = "{\"name\": \"x\", \"metadata\": " + std::string(100000, '[') +
                           std::string(100000, ']') + "}";
  auto nested = t_.client().Post("/api/v1/apps", t_.Admin(), deep, "application/json");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->status / 100, 4) << nested->body.substr(0, 200);
  EXPECT_EQ(t_.GetJson("/api/v1/apps")["data"].size(), 1u);  // only the default one
  // Without the admin token: 401.
  auto anonymous = t_.client().Get("/api/v1/apps");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

TEST_F(ApplicationsIntegration, AMessageReachesOnlyItsOwnApplicationsEndpoints) {
  ScriptedReceiver rx;
  const json a = App("A", "tenant-a");
  const json b = App("B", "tenant-b");
  auto endpoint = [&](const std::string& app, const std::string& path) {
    auto r = t_.Post("/api/v1/apps/" + app + "/endpoints", {{"url", rx.Url(path)}});
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r ? json::parse(r->body) : json();
  };
  const json ea = endpoint("tenant-a", "/a");
  const json eb = endpoint(b["id"], "/b");  // by id works as by uid
  const json ed = t_.CreateEndpoint({{"url", rx.Url("/default")}});
  EXPECT_EQ(ea["app_id"], a["id"]);
  EXPECT_EQ(eb["app_id"], b["id"]);
  EXPECT_EQ(ed["app_id"], "app_default");

  auto publish = [&](const std::string& app, const std::string& type, const std::string& key) {
    httplib::Headers h = t_.Admin();
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    auto r = t_.client().Post("/api/v1/apps/" + app + "/messages", h,
                              json({{"event_type", type}, {"payload", {{"to", app}}}}).dump(),
                              "application/json");
    EXPECT_TRUE(r && r->status == 202) << (r ? r->body : "no answer");
    return r ? json::parse(r->body) : json();
  };
  const json ma = publish("tenant-a", "order.created", "key-1");
  EXPECT_EQ(ma["deliveries"], 1);
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/a") == 1; }));
  // The same Idempotency-Key in another application is another message.
  const json mb = publish("tenant-b", "order.created", "key-1");
  EXPECT_NE(mb["id"], ma["id"]);
  EXPECT_EQ(mb["deliveries"], 1);
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/b") == 1; }));
  // ...while within one application it is the first answer.
  EXPECT_EQ(publish("tenant-a", "order.created", "key-1")["id"], ma["id"]);
  // An unscoped publish belongs to the default application.
  EXPECT_EQ(t_.PostMessage("order.created", {{"to", "default"}})["deliveries"], 1);
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/default") == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rx.Count("/a"), 1u);
  EXPECT_EQ(rx.Count("/b"), 1u);
  EXPECT_EQ(rx.Count("/default"), 1u);
  EXPECT_EQ(json::parse(rx.Requests("/a").front().body)["to"], "tenant-a");
  json stats = t_.GetJson("/api/v1/apps/tenant-a/stats");
  EXPECT_EQ(stats["messages"], 1) << stats.dump();
  EXPECT_EQ(stats["deliveries"]["succeeded"], 1) << stats.dump();

  // Another application's endpoint is 404 under the wrong application, like an unknown id.
  auto foreign = t_.Get("/api/v1/apps/tenant-a/endpoints/" + eb["id"].get<std::string>());
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404);
  auto unknown = t_.Get("/api/v1/apps/tenant-a/endpoints/ep_01ARZ3NDEKTSV4RRFFQ69G5FAV");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(json::parse(foreign->body)["error"]["code"],
            json::parse(unknown->body)["error"]["code"]);
  EXPECT_EQ(t_.GetJson("/api/v1/apps/tenant-a/endpoints/" + ea["id"].get<std::string>())["id"],
            ea["id"]);
  // Lists: the application's own; the unscoped list is every application's, filterable.
  json own = t_.GetJson("/api/v1/apps/tenant-a/endpoints");
  ASSERT_EQ(own["data"].size(), 1u);
  EXPECT_EQ(own["data"][0]["id"], ea["id"]);
  EXPECT_EQ(t_.GetJson("/api/v1/endpoints")["data"].size(), 3u);
  json filtered = t_.GetJson("/api/v1/endpoints?app_id=" + b["id"].get<std::string>());
  ASSERT_EQ(filtered["data"].size(), 1u);
  EXPECT_EQ(filtered["data"][0]["id"], eb["id"]);

  // A deleted application: its routes are 404, its endpoints gone, nothing more attempted.
  ASSERT_EQ(Delete("/api/v1/apps/tenant-a")->status, 204);
  EXPECT_EQ(t_.Get("/api/v1/apps/tenant-a/endpoints")->status, 404);
  EXPECT_EQ(t_.Get("/api/v1/endpoints/" + ea["id"].get<std::string>())->status, 404);
  auto late = t_.Post("/api/v1/apps/" + a["id"].get<std::string>() + "/messages",
                      {{"event_type", "order.created"}, {"payload", 1}});
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 404);
  auto late_endpoint = t_.Post("/api/v1/apps/tenant-a/endpoints", {{"url", rx.Url("/late")}});
  ASSERT_TRUE(late_endpoint);
  EXPECT_EQ(late_endpoint->status, 404);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rx.Count("/a"), 1u);
  EXPECT_EQ(rx.Count("/late"), 0u);
}

TEST_F(ApplicationsIntegration, EveryScopedRouteAnswers404ForAnotherApplicationsIds) {
  ScriptedReceiver rx;
  App("A", "tenant-a");
  App("B", "tenant-b");
  auto created = t_.Post("/api/v1/apps/tenant-b/endpoints", {{"url", rx.Url("/b")}});
  ASSERT_TRUE(created && created->status == 201);
  const json eb = json::parse(created->body);
  const std::string ep = eb["id"];
  auto published = t_.Post("/api/v1/apps/tenant-b/messages",
                           {{"event_type", "order.created"}, {"payload", {{"n", 1}}}});
  ASSERT_TRUE(published && published->status == 202) << (published ? published->body : "");
  const std::string msg = json::parse(published->body)["id"];
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/b") == 1; }));
  json mine = t_.GetJson("/api/v1/apps/tenant-b/messages/" + msg);
  ASSERT_EQ(mine["app_id"], json::parse(created->body)["app_id"]);
  ASSERT_EQ(mine["deliveries"].size(), 1u);
  const std::string dlv = mine["deliveries"][0]["id"];
  EXPECT_EQ(t_.GetJson("/api/v1/apps/tenant-b/deliveries/" + dlv)["id"], dlv);

  // Under tenant-a, every route on B's ids is 404, and changes nothing.
  const std::string a = "/api/v1/apps/tenant-a";
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", a + "/endpoints/" + ep},
      {"PATCH", a + "/endpoints/" + ep},
      {"DELETE", a + "/endpoints/" + ep},
      {"POST", a + "/endpoints/" + ep + "/rotate-secret"},
      {"POST", a + "/endpoints/" + ep + "/disable"},
      {"POST", a + "/endpoints/" + ep + "/enable"},
      {"POST", a + "/endpoints/" + ep + "/recover"},
      {"GET", a + "/messages/" + msg},
      {"GET", a + "/deliveries/" + dlv},
      {"POST", a + "/deliveries/" + dlv + "/retry"},
  };
  for (const auto& [method, path] : routes) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = t_.Admin();
    // Bodies that would change something, were the route to reach B's rows.
    if (method == "PATCH") req.body = R"({"description": "taken"})";
    if (path.ends_with("/recover")) req.body = R"({"since": "2020-01-01T00:00:00Z"})";
    if (method == "POST" && req.body.empty()) req.body = "{}";
    if (!req.body.empty()) req.set_header("Content-Type", "application/json");
    auto r = t_.client().send(req);
    ASSERT_TRUE(r) << method << " " << path;
    EXPECT_EQ(r->status, 404) << method << " " << path << " → " << r->body;
    EXPECT_EQ(Code(r), "not_found") << method << " " << path;
  }
  // Lists under tenant-a hold none of B's rows, whatever the query asks.
  EXPECT_TRUE(t_.GetJson(a + "/messages")["data"].empty());
  EXPECT_TRUE(t_.GetJson(a + "/deliveries?message_id=" + msg)["data"].empty());
  EXPECT_TRUE(t_.GetJson(a + "/deliveries?endpoint_id=" + ep)["data"].empty());
  EXPECT_TRUE(t_.GetJson(a + "/messages?app_id=" +
                         json::parse(created->body)["app_id"].get<std::string>())["data"]
                  .empty());
  // B's endpoint and delivery are as they were.
  json still = t_.GetJson("/api/v1/apps/tenant-b/endpoints/" + ep);
  EXPECT_EQ(still["secret"], eb["secret"]);
  EXPECT_EQ(still["description"], eb["description"]);
  EXPECT_EQ(still["disabled"], false);
  json delivery = t_.GetJson("/api/v1/apps/tenant-b/deliveries/" + dlv);
  EXPECT_EQ(delivery["status"], "succeeded");
  EXPECT_EQ(delivery["attempts"].size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rx.Count("/b"), 1u);
  // The admin's unscoped lists see every application, and filter by app_id.
  json b_messages = t_.GetJson("/api/v1/messages?app_id=" + eb["app_id"].get<std::string>());
  ASSERT_EQ(b_messages["data"].size(), 1u);
  EXPECT_EQ(b_messages["data"][0]["id"], msg);
  // An unknown application is 404 on every scoped route.
  EXPECT_EQ(t_.Get("/api/v1/apps/nobody/messages")->status, 404);
  EXPECT_EQ(t_.Get("/api/v1/apps/app_01ARZ3NDEKTSV4RRFFQ69G5FAV/deliveries")->status, 404);
}

TEST_F(ApplicationsIntegration, AnApplicationTokenReachesItsApplicationOnly) {
  ScriptedReceiver rx;
  App("A", "tenant-a");
  App("B", "tenant-b");
  auto made = t_.Post("/api/v1/apps/tenant-a/tokens", {{"name", "ci"}});
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  const json token = json::parse(made->body);
  const std::string secret = token["token"];
  EXPECT_EQ(secret.rfind("hkd_app_", 0), 0u);
  EXPECT_EQ(token["id"].get<std::string>().rfind("tok_", 0), 0u);
  // Listed without its secret.
  json listed = t_.GetJson("/api/v1/apps/tenant-a/tokens");
  ASSERT_EQ(listed["data"].size(), 1u);
  EXPECT_FALSE(listed["data"][0].contains("token"));
  EXPECT_EQ(listed["data"][0]["name"], "ci");
  EXPECT_NE(listed.dump().find(token["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(listed.dump().find(secret), std::string::npos);
  EXPECT_TRUE(t_.GetJson("/api/v1/apps/tenant-b/tokens")["data"].empty());

  const httplib::Headers as_a = {{"Authorization", "Bearer " + secret}};
  auto status = [&](const std::string& method, const std::string& path, const httplib::Headers& h) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = h;
    if (method == "POST") {
      req.body = json({{"url", rx.Url("/a")}}).dump();
      req.set_header("Content-Type", "application/json");
    }
    auto r = t_.client().send(req);
    return r ? r->status : -1;
  };
  // Its own application's routes, and the info route.
  EXPECT_EQ(status("POST", "/api/v1/apps/tenant-a/endpoints", as_a), 201);
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/endpoints", as_a), 200);
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/messages", as_a), 200);
  EXPECT_EQ(status("GET", "/api/v1/info", as_a), 200);
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/stats", as_a), 200);
  // Nothing else: another application (known or not), the unscoped and admin-only routes.
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/apps/tenant-b/endpoints"},
                                                        {"POST", "/api/v1/apps/tenant-b/endpoints"},
                                                        {"GET", "/api/v1/apps/nobody/endpoints"},
                                                        {"GET", "/api/v1/endpoints"},
                                                        {"POST", "/api/v1/endpoints"},
                                                        {"GET", "/api/v1/messages"},
                                                        {"GET", "/api/v1/apps"},
                                                        {"GET", "/api/v1/apps/tenant-a"},
                                                        {"POST", "/api/v1/apps/tenant-a/tokens"},
                                                        {"GET", "/api/v1/apps/tenant-a/tokens"},
                                                        {"GET", "/api/v1/sources"},
                                                        {"GET", "/api/v1/overview"}}) {
    EXPECT_EQ(status(method, path, as_a), 403) << method << " " << path;
  }
  EXPECT_EQ(t_.GetJson("/api/v1/apps/tenant-b/endpoints")["data"].size(), 0u);
  // A made-up token is 401, as is a revoked one, at once.
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/endpoints",
                   {{"Authorization", "Bearer hkd_app_" + std::string(64, '0')}}),
            401);
  ASSERT_EQ(Delete("/api/v1/apps/tenant-b/tokens/" + token["id"].get<std::string>())->status,
            404);  // not B's
  ASSERT_EQ(Delete("/api/v1/apps/tenant-a/tokens/" + token["id"].get<std::string>())->status, 204);
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/endpoints", as_a), 401);
  EXPECT_FALSE(t_.GetJson("/api/v1/apps/tenant-a/tokens")["data"][0]["revoked_at"].is_null());
  // A token of a deleted application is refused too.
  auto again = t_.Post("/api/v1/apps/tenant-a/tokens", json::object());
  ASSERT_TRUE(again && again->status == 201);
  const httplib::Headers as_a2 = {
      {"Authorization", "Bearer " + json::parse(again->body)["token"].get<std::string>()}};
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/endpoints", as_a2), 200);
  ASSERT_EQ(Delete("/api/v1/apps/tenant-a")->status, 204);
  EXPECT_EQ(status("GET", "/api/v1/apps/tenant-a/endpoints", as_a2), 401);
  // Bad token requests change nothing.
  for (const json& body : {json({{"expires_in", 5}}), json({{"name", std::string(101, 'n')}}),
                           json({{"scope", "all"}})}) {
    auto r = t_.Post("/api/v1/apps/tenant-b/tokens", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << body.dump();
  }
  EXPECT_TRUE(t_.GetJson("/api/v1/apps/tenant-b/tokens")["data"].empty());
}

TEST_F(ApplicationsIntegration, GuessedApplicationTokensAreThrottledLikeAdminTokens) {
  App("A", "tenant-a");
  // Every guess is checked against the database until the address has used its burst; then
  // it is refused before any lookup (429), as wrong admin tokens are.
  int unauthorized = 0, limited = 0;
  for (int i = 0; i < 30; ++i) {
    std::string guess = "hkd_app_";
    guess += std::string(63, '0');
    guess += static_cast<char>('a' + i % 6);
    auto r =
        t_.client().Get("/api/v1/apps/tenant-a/endpoints", {{"Authorization", "Bearer " + guess}});
    ASSERT_TRUE(r);
    if (r->status == 401) ++unauthorized;
    if (r->status == 429) ++limited;
  }
  EXPECT_GT(unauthorized, 0);
  EXPECT_LE(unauthorized, 12);
  EXPECT_EQ(unauthorized + limited, 30);
}

TEST_F(ApplicationsIntegration, EventTypesSeenPerApplicationAndOverall) {
  App("A", "tenant-a");
  App("B", "tenant-b");
  auto publish = [&](const std::string& path, const std::string& type) {
    auto r = t_.Post(path, {{"event_type", type}, {"payload", 1}});
    ASSERT_TRUE(r && r->status == 202) << (r ? r->body : "no answer");
  };
  publish("/api/v1/apps/tenant-a/messages", "order.created");
  publish("/api/v1/apps/tenant-a/messages", "order.created");
  publish("/api/v1/apps/tenant-a/messages", "invoice.paid");
  publish("/api/v1/apps/tenant-b/messages", "order.created");
  publish("/api/v1/messages", "user.deleted");  // the default application's

  json a = t_.GetJson("/api/v1/apps/tenant-a/event-types");
  ASSERT_EQ(a["data"].size(), 2u) << a.dump();
  EXPECT_EQ(a["data"][0]["event_type"], "invoice.paid");
  EXPECT_EQ(a["data"][0]["count"], 1);
  EXPECT_EQ(a["data"][1]["event_type"], "order.created");
  EXPECT_EQ(a["data"][1]["count"], 2);
  EXPECT_TRUE(a["data"][1]["last_seen"].is_string());
  // Overall: every application's, added up, in type order, paged by type.
  json all = t_.GetJson("/api/v1/event-types?limit=2");
  ASSERT_EQ(all["data"].size(), 2u);
  EXPECT_EQ(all["data"][1]["event_type"], "order.created");
  EXPECT_EQ(all["data"][1]["count"], 3);
  ASSERT_EQ(all["next"], "order.created");
  json rest = t_.GetJson("/api/v1/event-types?limit=2&after=order.created");
  ASSERT_EQ(rest["data"].size(), 1u);
  EXPECT_EQ(rest["data"][0]["event_type"], "user.deleted");
  EXPECT_TRUE(rest["next"].is_null());
  // B's token sees B's only, and neither A's list nor the overall one.
  auto made = t_.Post("/api/v1/apps/tenant-b/tokens", json::object());
  ASSERT_TRUE(made && made->status == 201);
  const httplib::Headers as_b = {
      {"Authorization", "Bearer " + json::parse(made->body)["token"].get<std::string>()}};
  auto own = t_.client().Get("/api/v1/apps/tenant-b/event-types", as_b);
  ASSERT_TRUE(own);
  ASSERT_EQ(own->status, 200);
  EXPECT_EQ(json::parse(own->body)["data"].size(), 1u);
  EXPECT_EQ(t_.client().Get("/api/v1/apps/tenant-a/event-types", as_b)->status, 403);
  EXPECT_EQ(t_.client().Get("/api/v1/event-types", as_b)->status, 403);
}

TEST_F(ApplicationsIntegration, ASourceFansOutToItsApplicationOnly) {
  ScriptedReceiver rx;
  const json a = App("A", "tenant-a");
  ASSERT_EQ(t_.Post("/api/v1/apps/tenant-a/endpoints", {{"url", rx.Url("/a")}})->status, 201);
  t_.CreateEndpoint({{"url", rx.Url("/default")}});
  auto src = t_.Post(
      "/api/v1/sources",
      {{"name", "billing"}, {"provider", "github"}, {"secret", "gh-secret"}, {"app_id", a["id"]}});
  ASSERT_TRUE(src);
  ASSERT_EQ(src->status, 201) << src->body;
  const json source = json::parse(src->body);
  EXPECT_EQ(source["app_id"], a["id"]);
  const std::string body = R"({"action":"opened"})";
  httplib::Headers gh = {
      {"X-GitHub-Event", "issues"},
      {"X-GitHub-Delivery", "d-1"},
      {"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("gh-secret", body))}};
  auto ingest =
      t_.client().Post(source["ingest_path"].get<std::string>(), gh, body, "application/json");
  ASSERT_TRUE(ingest);
  ASSERT_EQ(ingest->status, 202) << ingest->body;
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/a") == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(rx.Count("/default"), 0u);
  // Deleting the application deletes its source at once: nothing more is ingested for it.
  ASSERT_EQ(Delete("/api/v1/apps/tenant-a")->status, 204);
  httplib::Headers again = gh;
  again.erase("X-GitHub-Delivery");
  again.emplace("X-GitHub-Delivery", "d-2");
  auto late =
      t_.client().Post(source["ingest_path"].get<std::string>(), again, body, "application/json");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 404) << late->body;
  // A source can only name a live application.
  for (const json& app_id : {json("app_01ARZ3NDEKTSV4RRFFQ69G5FAV"), json(5)}) {
    auto r =
        t_.Post("/api/v1/sources", {{"name", "x"}, {"provider", "github"}, {"app_id", app_id}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << r->body;
  }
}

}  // namespace
}  // namespace hookd::testing
