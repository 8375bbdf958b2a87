// The two crashes of the hardening work, end to end through the real server: bytes that are not
// UTF-8 in headers outside the signature, and JSON nested far deeper than anything legitimate.
// After each, hookd has answered with a JSON error, stored nothing and is still serving.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/db.h"
#include "tests/integration/test_server.h"
#include "tests/testing/raw_client.h"

namespace hookd {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using testing::RawClient;
using testing::TestServer;

// A request written byte for byte: header values may hold any bytes.
std::string RawPost(const std::string& path, const std::string& headers, const std::string& body) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n" +
         headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

json Answer(TestServer& t, const std::string& request) {
  RawClient c(t.server().port());
  c.Send(request);
  std::string got = c.Read(milliseconds(3000), SIZE_MAX);
  const size_t body = got.find("\r\n\r\n");
  if (got.rfind("HTTP/1.1 ", 0) != 0 || body == std::string::npos) return {{"raw", got}};
  return {{"status", std::stoi(got.substr(9, 3))},
          {"body", json::parse(got.substr(body + 4), nullptr, false)}};
}

void ExpectAliveAndEmpty(TestServer& t, const std::string& list) {
  auto health = t.client().Get("/healthz");
  ASSERT_TRUE(health) << "hookd stopped answering";
  EXPECT_EQ(health->status, 200);
  auto r = t.Get(list);
  ASSERT_TRUE(r);
  EXPECT_TRUE(json::parse(r->body)["data"].empty()) << r->body;
}

TEST(HostileInputIntegration, ReproducesCrashSignedGitHubEventWithNonUtf8DeliveryIs400) {
  TestServer t;
  json src = t.CreateSource("github", "s3cret");
  const std::string body = R"({"action":"opened"})";
  const std::string sig =
      "X-Hub-Signature-256: sha256=" + HexEncode(HmacSha256("s3cret", body)) + "\r\n";
  for (const std::string& bad :
       {std::string("X-GitHub-Delivery: \xff\xfe\r\nX-GitHub-Event: push\r\n"),
        std::string("X-GitHub-Delivery: d-1\r\nX-GitHub-Event: pu\xc3\x28sh\r\n")}) {
    json a = Answer(t, RawPost(src["ingest_path"], sig + bad, body));
    ASSERT_EQ(a["status"], 400) << a.dump();
    EXPECT_EQ(a["body"]["error"]["code"], "invalid_header");
    EXPECT_NE(a["body"]["error"]["message"].get<std::string>().find("X-GitHub-"),
              std::string::npos);
  }
  ExpectAliveAndEmpty(t, "/api/v1/events");
  // The same delivery with clean headers is still accepted afterwards.
  json ok = Answer(t, RawPost(src["ingest_path"],
                              sig + "X-GitHub-Delivery: d-1\r\nX-GitHub-Event: push\r\n", body));
  EXPECT_EQ(ok["status"], 202) << ok.dump();
}

TEST(HostileInputIntegration, ReproducesCrashShopifyWebhookIdNotUtf8Is400) {
  TestServer t;
  json src = t.CreateSource("shopify", "s3cret");
  const std::string body = R"({"id":1})";
  json a = Answer(t, RawPost(src["ingest_path"],
                             "X-Shopify-Hmac-Sha256: " + Base64Encode(HmacSha256("s3cret", body)) +
                                 "\r\nX-Shopify-Webhook-Id: \xc3\x28\r\n",
                             body));
  ASSERT_EQ(a["status"], 400) << a.dump();
  EXPECT_EQ(a["body"]["error"]["code"], "invalid_header");
  ExpectAliveAndEmpty(t, "/api/v1/events");
}

TEST(HostileInputIntegration, ReproducesCrashDeeplyNestedIngestBodyIsRefused) {
  TestServer t;
  json src = t.CreateSource("github", "s3cret");
  const std::string body = "{\"a\":" + std::string(150000, '[') + std::string(150000, ']') + "}";
  json a =
      Answer(t, RawPost(src["ingest_path"],
                        "X-Hub-Signature-256: sha256=" + HexEncode(HmacSha256("s3cret", body)) +
                            "\r\nX-GitHub-Delivery: deep\r\nX-GitHub-Event: push\r\n",
                        body));
  ASSERT_EQ(a["status"], 400) << a.dump();
  EXPECT_EQ(a["body"]["error"]["code"], "invalid_json");
  ExpectAliveAndEmpty(t, "/api/v1/events");
  ExpectAliveAndEmpty(t, "/api/v1/messages");
}

TEST(HostileInputIntegration, ReproducesCrashPublishingAPayloadNested100000DeepIs400) {
  TestServer t;
  const std::string body =
      R"({"event_type":"x","payload":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = t.client().Post("/api/v1/messages", t.Admin(), body, "application/json");
  ASSERT_TRUE(r) << "no answer";
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_json");
  ExpectAliveAndEmpty(t, "/api/v1/messages");
}

TEST(HostileInputIntegration, ReproducesCrashADeepPayloadStoredEarlierIsShownAsText) {
  TestServer t;
  const std::string deep = std::string(150000, '[') + std::string(150000, ']');
  {
    auto db = Db::Open(t.data_dir() + "/hookd.db", DbOptions{});
    ASSERT_TRUE(db.ok());
    auto st = (*db)->Cached(
        "INSERT INTO messages (id, event_type, payload, created_at) VALUES (?, 'x', ?, 1)");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE((*st)->Bind(1, "msg_legacy").BindBlob(2, deep).Run().ok());
  }
  auto r = t.Get("/api/v1/messages/msg_legacy");
  ASSERT_TRUE(r) << "no answer";
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["payload"], deep);
  EXPECT_EQ(t.client().Get("/healthz")->status, 200);
}

TEST(HostileInputIntegration, AHugeDeliveryIdIsRefusedNotStored) {
  TestServer t;
  json src = t.CreateSource("github", "s3cret");
  const std::string body = R"({"action":"opened"})";
  json a =
      Answer(t, RawPost(src["ingest_path"],
                        "X-Hub-Signature-256: sha256=" + HexEncode(HmacSha256("s3cret", body)) +
                            "\r\nX-GitHub-Delivery: " + std::string(32 * 1024, 'a') + "\r\n",
                        body));
  ASSERT_EQ(a["status"], 400) << a.dump();
  EXPECT_EQ(a["body"]["error"]["code"], "invalid_header");
  ExpectAliveAndEmpty(t, "/api/v1/events");
}

}  // namespace
}  // namespace hookd
