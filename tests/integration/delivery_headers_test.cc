// What a receiver gets beyond the body, through a real hookd server and an in-process receiver:
// hookd-event-type on every delivery, hookd-source-id on a message with a source, the headers an
// endpoint forwards from the provider's original request (forward_headers, matched ignoring
// case), custom headers that never replace hookd's own, and the endpoint API's side of it
// (forward_headers stored and returned, refused names 422 changing nothing, an unresolvable host
// accepted with a warning, a private one refused naming HOOKD_ALLOW_PRIVATE_TARGETS).
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "common/crypto.h"
#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/scripted_receiver.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using nlohmann::json;

class DeliveryHeadersIntegration : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }
};

// "v1,<base64 HMAC-SHA256(base64-decoded secret after whsec_, "<id>.<ts>.<body>")>".
std::string ExpectedSignature(const std::string& secret, const Received& r) {
  auto key = Base64Decode(secret.substr(std::string("whsec_").size()));
  if (!key) return "<undecodable secret>";
  return "v1," + Base64Encode(HmacSha256(*key, r.Header("webhook-id") + "." +
                                                   r.Header("webhook-timestamp") + "." + r.body));
}

size_t Count(const Received& r, const std::string& name) { return r.headers.count(name); }

// The only request to `path`, once it has arrived.
Received OnlyRequest(ScriptedReceiver& rx, const std::string& path) {
  EXPECT_TRUE(WaitUntil([&] { return rx.Count(path) >= 1; })) << "nothing arrived at " << path;
  auto all = rx.Requests(path);
  EXPECT_EQ(all.size(), 1u) << path;
  return all.empty() ? Received{} : all.front();
}

httplib::Result Patch(TestServer& t, const std::string& path, const json& body) {
  return t.client().Patch(path, t.Admin(), body.dump(), "application/json");
}

TEST_F(DeliveryHeadersIntegration, AnIngestedGithubEventCarriesItsTypeSourceAndForwardedHeaders) {
  ScriptedReceiver rx;
  TestServer t("", nullptr, LocalDeliverySettings());
  json src = t.CreateSource("github", "gh-secret");
  const std::string src_id = src["id"];
  json fwd = t.CreateEndpoint({{"url", rx.Url("/fwd")},
                               {"forward_headers", {"X-GitHub-*"}},
                               {"headers", {{"X-GitHub-Hook-Id", "set-by-operator"}}}});
  EXPECT_EQ(fwd["forward_headers"], json({"x-github-*"}));
  json plain = t.CreateEndpoint({{"url", rx.Url("/plain")}});

  const std::string raw = R"({"action":"opened","issue":{"number":1}})";
  httplib::Headers gh = {
      {"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("gh-secret", raw))},
      {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
      {"X-GitHub-Event", "issues"},
      {"X-GitHub-Hook-Id", "from-github"},
      {"X-Request-Id", "not-asked-for"}};
  auto ingest = t.client().Post(src["ingest_path"].get<std::string>(), gh, raw, "application/json");
  ASSERT_TRUE(ingest);
  ASSERT_EQ(ingest->status, 202) << ingest->body;

  const Received f = OnlyRequest(rx, "/fwd");
  EXPECT_EQ(f.body, raw);
  EXPECT_EQ(f.Header("hookd-event-type"), "issues.opened");
  EXPECT_EQ(f.Header("hookd-source-id"), src_id);
  EXPECT_EQ(f.Header("x-github-event"), "issues");
  EXPECT_EQ(f.Header("x-github-delivery"), "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  EXPECT_EQ(f.Header("x-github-hook-id"), "set-by-operator");  // the custom header wins
  EXPECT_EQ(Count(f, "x-github-hook-id"), 1u);
  EXPECT_EQ(Count(f, "x-hub-signature-256"), 0u);
  EXPECT_EQ(Count(f, "x-request-id"), 0u);
  for (const char* own : {"webhook-id", "webhook-timestamp", "webhook-signature",
                          "hookd-event-type", "hookd-source-id", "content-type", "user-agent"})
    EXPECT_EQ(Count(f, own), 1u) << own;
  EXPECT_EQ(f.Header("content-type"), "application/json");
  EXPECT_EQ(f.Header("webhook-signature"), ExpectedSignature(fwd["secret"], f));

  const Received p = OnlyRequest(rx, "/plain");
  EXPECT_EQ(p.Header("hookd-event-type"), "issues.opened");
  EXPECT_EQ(p.Header("hookd-source-id"), src_id);
  EXPECT_EQ(Count(p, "x-github-event"), 0u);
  EXPECT_EQ(Count(p, "x-github-delivery"), 0u);
  EXPECT_EQ(p.Header("webhook-id"), f.Header("webhook-id"));
}

TEST_F(DeliveryHeadersIntegration, APublishedMessageCarriesItsTypeAndItsSourceOnlyWhenGiven) {
  ScriptedReceiver rx;
  TestServer t("", nullptr, LocalDeliverySettings());
  json src = t.CreateSource("github", "gh-secret");
  json ep = t.CreateEndpoint({{"url", rx.Url("/p")},
                              {"forward_headers", {"x-github-*"}},
                              {"headers", {{"X-Team", "billing"}}}});
  json without = t.PostMessage("order.created", {{"n", 1}});
  const Received a = OnlyRequest(rx, "/p");
  EXPECT_EQ(a.Header("webhook-id"), without["id"]);
  EXPECT_EQ(a.Header("hookd-event-type"), "order.created");
  EXPECT_EQ(Count(a, "hookd-source-id"), 0u);
  EXPECT_EQ(a.Header("x-team"), "billing");
  EXPECT_EQ(a.Header("webhook-signature"), ExpectedSignature(ep["secret"], a));

  auto posted =
      t.Post("/api/v1/messages",
             {{"event_type", "order.paid"}, {"payload", {{"n", 2}}}, {"source_id", src["id"]}});
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 202) << posted->body;
  const json with = json::parse(posted->body);
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/p") >= 2; }));
  const Received b = rx.Requests("/p").back();
  EXPECT_EQ(b.Header("webhook-id"), with["id"]);
  EXPECT_EQ(b.Header("hookd-event-type"), "order.paid");
  EXPECT_EQ(b.Header("hookd-source-id"), src["id"]);
  EXPECT_EQ(Count(b, "x-github-event"), 0u);  // nothing to forward from a published message
}

TEST_F(DeliveryHeadersIntegration, ForwardHeadersThroughTheApi) {
  TestServer t("", nullptr, LocalDeliverySettings());
  auto created = t.Post("/api/v1/endpoints", {{"url", "http://127.0.0.1:9/h"},
                                              {"forward_headers", {"X-GitHub-*", "Traceparent"}}});
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  json ep = json::parse(created->body);
  EXPECT_EQ(ep["forward_headers"], json({"x-github-*", "traceparent"}));
  EXPECT_EQ(ep["warnings"], json::array());
  const std::string path = "/api/v1/endpoints/" + ep["id"].get<std::string>();
  EXPECT_EQ(t.GetJson(path)["forward_headers"], json({"x-github-*", "traceparent"}));
  EXPECT_FALSE(t.GetJson(path).contains("warnings"));

  const json before = t.GetJson(path);
  for (const json& bad :
       {json{"Authorization"}, json{"cookie"}, json{"host"}, json{"Content-Length"},
        json{"transfer-encoding"}, json{"connection"}, json{"webhook-*"}, json{"webhook-signature"},
        json{"hookd-*"}, json{"x-hub-signature-256"}, json{"*"}, json{"x y"}, json("x-github-*")}) {
    auto r = Patch(t, path, {{"description", "changed"}, {"forward_headers", bad}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << bad.dump() << " -> " << r->body;
    json err = json::parse(r->body, nullptr, false);
    EXPECT_EQ(err["error"]["code"], "invalid_field") << r->body;
    auto c =
        t.Post("/api/v1/endpoints", {{"url", "http://127.0.0.1:9/h"}, {"forward_headers", bad}});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->status, 422) << bad.dump() << " -> " << c->body;
  }
  json many = json::array();
  for (int i = 0; i < 33; ++i) many.push_back("x-h" + std::to_string(i));
  auto r = Patch(t, path, {{"forward_headers", many}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_EQ(t.GetJson(path), before);
  EXPECT_EQ(t.GetJson("/api/v1/endpoints")["data"].size(), 1u);

  auto patched = Patch(t, path, {{"forward_headers", {"X-Request-Id"}}});
  ASSERT_TRUE(patched);
  EXPECT_EQ(patched->status, 200) << patched->body;
  EXPECT_EQ(json::parse(patched->body)["forward_headers"], json({"x-request-id"}));
  EXPECT_EQ(json::parse(patched->body)["warnings"], json::array());
}

TEST_F(DeliveryHeadersIntegration, CustomHeadersCannotTakeHookdNames) {
  TestServer t("", nullptr, LocalDeliverySettings());
  for (const char* name : {"hookd-event-type", "Hookd-Source-Id", "webhook-signature",
                           "Webhook-Timestamp", "content-type", "user-agent"}) {
    auto r = t.Post("/api/v1/endpoints",
                    {{"url", "http://127.0.0.1:9/h"}, {"headers", {{name, "forged"}}}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << name << " -> " << r->body;
    EXPECT_NE(r->body.find("set by hookd"), std::string::npos) << r->body;
  }
  EXPECT_EQ(t.GetJson("/api/v1/endpoints")["data"].size(), 0u);
}

TEST_F(DeliveryHeadersIntegration, AnUnresolvableHostIsAcceptedWithAWarning) {
  TestServer t;  // private targets refused, the system resolver
  // .invalid never resolves (RFC 6761), with or without DNS.
  auto r = t.Post("/api/v1/endpoints", {{"url", "https://hookd-test.invalid/webhooks"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json ep = json::parse(r->body);
  ASSERT_EQ(ep["warnings"].size(), 1u) << r->body;
  EXPECT_EQ(ep["warnings"][0]["code"], "unresolvable_host");
  EXPECT_NE(ep["warnings"][0]["message"].get<std::string>().find("hookd-test.invalid"),
            std::string::npos);
  const std::string path = "/api/v1/endpoints/" + ep["id"].get<std::string>();
  EXPECT_EQ(t.GetJson(path)["url"], "https://hookd-test.invalid/webhooks");

  auto patched = Patch(t, path, {{"url", "https://other-test.invalid/"}});
  ASSERT_TRUE(patched);
  ASSERT_EQ(patched->status, 200) << patched->body;
  EXPECT_EQ(json::parse(patched->body)["warnings"][0]["code"], "unresolvable_host");

  // A private target is still refused, and the answer names the setting that allows it.
  auto local = t.Post("/api/v1/endpoints", {{"url", "http://127.0.0.1:9000/webhooks"}});
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 422) << local->body;
  json err = json::parse(local->body, nullptr, false);
  EXPECT_EQ(err["error"]["code"], "forbidden_target");
  EXPECT_NE(local->body.find("HOOKD_ALLOW_PRIVATE_TARGETS"), std::string::npos) << local->body;
  auto moved = Patch(t, path, {{"url", "http://localhost:9000/"}});
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->status, 422) << moved->body;
  EXPECT_EQ(t.GetJson(path)["url"], "https://other-test.invalid/");
}

}  // namespace
}  // namespace hookd::testing
