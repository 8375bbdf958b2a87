// Request ids and the log lines about requests, through a real server: the id is taken or made,
// echoed in X-Request-Id, put in every error body (the edge's own refusals included), and named
// in the access log and in a source's signature-failure line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/ids.h"
#include "tests/integration/test_server.h"
#include "tests/testing/memory_log_sink.h"
#include "tests/testing/raw_client.h"

namespace hookd {
namespace {

using nlohmann::json;
using testing::MemoryLogSink;
using testing::TestServer;

TEST(RequestIdIntegration, TakenOrMadeEchoedAndInEveryErrorBody) {
  TestServer t;
  auto given = t.client().Get("/healthz", {{"X-Request-Id", "trace-42"}});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->status, 200);
  EXPECT_EQ(given->get_header_value("X-Request-Id"), "trace-42");

  auto made = t.client().Get("/healthz");
  ASSERT_TRUE(made);
  EXPECT_TRUE(LooksLikeId("req", made->get_header_value("X-Request-Id")))
      << made->get_header_value("X-Request-Id");

  // 401 from the authenticator, 404 from the router, 405: the body names the header's id.
  for (const auto& [path, method, status] :
       std::vector<std::tuple<std::string, std::string, int>>{{"/api/v1/endpoints", "GET", 401},
                                                              {"/nowhere", "GET", 404},
                                                              {"/healthz", "DELETE", 405}}) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = {{"X-Request-Id", "id-" + std::to_string(status)}};
    auto r = t.client().send(req);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->get_header_value("X-Request-Id"), "id-" + std::to_string(status));
    const json body = json::parse(r->body);
    EXPECT_EQ(body["error"]["request_id"], "id-" + std::to_string(status)) << r->body;
    EXPECT_TRUE(body["error"]["code"].is_string());
  }

  // An unusable id (a space, too long) is replaced, never echoed.
  for (const std::string& bad : {std::string("two words"), std::string(129, 'x')}) {
    auto r = t.client().Get("/nowhere", {{"X-Request-Id", bad}});
    ASSERT_TRUE(r);
    const std::string id = r->get_header_value("X-Request-Id");
    EXPECT_TRUE(LooksLikeId("req", id)) << id;
    EXPECT_EQ(json::parse(r->body)["error"]["request_id"], id);
  }
}

TEST(RequestIdIntegration, TheEdgesOwnRefusalsCarryOneToo) {
  TestServer t;
  testing::RawClient raw(t.server().port());
  ASSERT_TRUE(raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"));
  const std::string answer = raw.Read(std::chrono::seconds(5));
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
  const size_t header = answer.find("X-Request-Id: req_");
  ASSERT_NE(header, std::string::npos) << answer;
  const std::string id = answer.substr(header + 14, 30);
  EXPECT_TRUE(LooksLikeId("req", id)) << id;
  const json body = json::parse(answer.substr(answer.find("\r\n\r\n") + 4));
  EXPECT_EQ(body["error"]["request_id"], id);
}

TEST(RequestLogIntegration, AccessLogLinesNameTheRequestButNotItsQuery) {
  SystemClock clock;
  MemoryLogSink sink;
  Logger logger(sink, clock, LogLevel::kInfo, LogFormat::kJson);
  Settings settings;
  settings.access_log = true;
  TestServer t("", nullptr, settings, nullptr, logger);
  auto r = t.client().Get("/api/v1/endpoints?token=supersecret&limit=5",
                          {{"Authorization", "Bearer test-token"}, {"X-Request-Id", "acc-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto missing = t.client().Get("/nowhere");
  ASSERT_TRUE(missing);

  std::vector<json> lines;
  for (int i = 0; i < 100 && lines.size() < 2; ++i) {  // the line follows the answer
    lines = sink.WithMsg("request");
    if (lines.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["method"], "GET");
  EXPECT_EQ(lines[0]["path"], "/api/v1/endpoints");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["request_id"], "acc-1");
  EXPECT_EQ(lines[0]["remote"], "127.0.0.1");
  EXPECT_EQ(lines[0]["bytes"], r->body.size());
  EXPECT_TRUE(lines[0]["duration_ms"].is_number());
  EXPECT_EQ(lines[1]["status"], 404);
  EXPECT_EQ(lines[1]["request_id"], missing->get_header_value("X-Request-Id"));
  for (const std::string& line : sink.Lines())
    EXPECT_EQ(line.find("supersecret"), std::string::npos) << line;
}

TEST(RequestLogIntegration, NoAccessLogUnlessAskedFor) {
  SystemClock clock;
  MemoryLogSink sink;
  Logger logger(sink, clock, LogLevel::kDebug, LogFormat::kJson);
  TestServer t("", nullptr, {}, nullptr, logger);
  ASSERT_TRUE(t.client().Get("/healthz"));
  ASSERT_TRUE(t.client().Get("/nowhere"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(sink.WithMsg("request").empty());
}

TEST(RequestLogIntegration, ASourceWhoseSignaturesFailIsLoggedOnceWithTheRequestId) {
  SystemClock clock;
  MemoryLogSink sink;
  Logger logger(sink, clock, LogLevel::kInfo, LogFormat::kJson);
  TestServer t("", nullptr, {}, nullptr, logger);
  const json src = t.CreateSource("github", "s3cret");
  const std::string body = R"({"ref":"main"})";
  const httplib::Headers bad = {{"X-Hub-Signature-256", "sha256=" + std::string(64, '0')},
                                {"X-GitHub-Delivery", "d-1"},
                                {"X-GitHub-Event", "push"},
                                {"X-Request-Id", "sig-1"}};
  for (int i = 0; i < 5; ++i) {
    auto r = t.client().Post(src["ingest_path"].get<std::string>(), bad, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(json::parse(r->body)["error"]["request_id"], "sig-1");
  }
  const std::vector<json> lines = sink.WithMsg("signatures failing for a source");
  ASSERT_EQ(lines.size(), 1u) << "the next line only after the interval";
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[0]["source_id"], src["id"]);
  EXPECT_EQ(lines[0]["failures"], 1);
  EXPECT_EQ(lines[0]["code"], "invalid_signature");
  EXPECT_EQ(lines[0]["request_id"], "sig-1");
  EXPECT_EQ(lines[0].dump().find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace hookd
