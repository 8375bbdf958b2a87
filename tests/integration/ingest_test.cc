// Ingest end to end inside the process: real server on port 0, real SQLite file.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/crypto.h"
#include "common/db.h"
#include "common/status_log.h"
#include "tests/integration/test_server.h"

namespace hookd::testing {
namespace {

using nlohmann::json;

httplib::Headers GithubHeaders(const std::string& secret, const std::string& body,
                               const std::string& delivery) {
  return {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256(secret, body))},
          {"X-GitHub-Delivery", delivery},
          {"X-GitHub-Event", "push"}};
}

TEST(IngestIntegration, AcceptsOnceThenReportsDuplicateWithSameId) {
  TestServer t;
  json src = t.CreateSource("github", "s3cret");
  const std::string body = R"({"ref":"main"})";
  auto h = GithubHeaders("s3cret", body, "d-1");
  auto first = t.client().Post(src["ingest_path"].get<std::string>(), h, body, "application/json");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 202);
  json a = json::parse(first->body);
  EXPECT_FALSE(a["duplicate"].get<bool>());
  auto second = t.client().Post(src["ingest_path"].get<std::string>(), h, body, "application/json");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  json b = json::parse(second->body);
  EXPECT_TRUE(b["duplicate"].get<bool>());
  EXPECT_EQ(a["id"], b["id"]);

  auto ev = t.Get("/api/v1/events/" + a["id"].get<std::string>());
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->status, 200);
  json e = json::parse(ev->body);
  EXPECT_EQ(e["body"], body);
  EXPECT_EQ(e["type"], "push");
  EXPECT_EQ(e["provider_event_id"], "d-1");
  EXPECT_EQ(e["headers"]["x-github-delivery"], "d-1");
  auto list = t.Get("/api/v1/events?source_id=" + src["id"].get<std::string>());
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body)["data"].size(), 1u);

  // One event.received and its message.created in the durable status log, in that order; the
  // duplicate appended nothing.
  auto db = Db::Open(t.data_dir() + "/hookd.db", DbOptions{});
  ASSERT_TRUE(db.ok());
  auto entries = ReadStatusAfter(**db, 0, 100);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].type, "event.received");
  EXPECT_EQ((*entries)[0].data["event_id"], a["id"]);
  EXPECT_EQ((*entries)[0].data["source_id"], src["id"]);
  EXPECT_EQ((*entries)[1].type, "message.created");
  EXPECT_EQ((*entries)[1].data["event_id"], a["id"]);
  EXPECT_LT((*entries)[0].seq, (*entries)[1].seq);
}

TEST(IngestIntegration, RejectionsStoreNothingAndAnswerJsonErrors) {
  TestServer t;
  json src = t.CreateSource("github", "s3cret");
  const std::string path = src["ingest_path"];
  const std::string body = R"({"ref":"main"})";
  struct Case {
    httplib::Headers headers;
    std::string body, content_type;
    int status;
    std::string code;
  };
  std::vector<Case> cases = {
      {GithubHeaders("wrong", body, "d"), body, "application/json", 401, "invalid_signature"},
      {GithubHeaders("s3cret", body, "d"), body + " ", "application/json", 401,
       "invalid_signature"},
      {{{"X-GitHub-Delivery", "d"}}, body, "application/json", 401, "invalid_signature"},
      {GithubHeaders("s3cret", "{nope", "d"), "{nope", "application/json", 400, "invalid_json"},
      {GithubHeaders("s3cret", body, "d"), body, "text/plain", 415, "unsupported_media_type"},
      {{{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("s3cret", body))}},
       body,
       "application/json",
       400,
       "missing_event_id"},
  };
  for (const auto& c : cases) {
    auto r = t.client().Post(path, c.headers, c.body, c.content_type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << c.code;
    json j = json::parse(r->body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r->body;
    EXPECT_EQ(j["error"]["code"], c.code);
  }
  auto unknown = t.client().Post("/ingest/src_01ARZ3NDEKTSV4RRFFQ69G5FAV",
                                 GithubHeaders("s3cret", body, "d"), body, "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  std::string big(1024 * 1024 + 1, 'x');
  auto too_large =
      t.client().Post(path, GithubHeaders("s3cret", big, "d"), big, "application/json");
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);

  auto list = t.Get("/api/v1/events");
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body)["data"].size(), 0u);
  auto metrics = t.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  // Counted by provider; the source's id is not a label unless HOOKD_METRICS_PER_ID asks.
  const std::string sample = "provider=\"github\",result=\"invalid_signature\",source=\"all\"} 3";
  EXPECT_NE(metrics->body.find(sample), std::string::npos) << metrics->body;
  EXPECT_EQ(metrics->body.find(src["id"].get<std::string>()), std::string::npos);
}

TEST(IngestIntegration, MetricsPerIdLabelsRequestsBySource) {
  Settings settings;
  settings.metrics_per_id = true;
  TestServer t("", nullptr, settings);
  json a = t.CreateSource("github", "s3cret");
  json b = t.CreateSource("github", "other-secret");
  const std::string body = R"({"n":1})";
  for (const json& src : {a, b}) {
    auto r = t.client().Post(src["ingest_path"].get<std::string>(),
                             GithubHeaders("s3cret", body, "d-" + src["id"].get<std::string>()),
                             body, "application/json");
    ASSERT_TRUE(r);
  }
  auto metrics = t.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  for (const auto& [src, result] : {std::pair{a, "accepted"}, std::pair{b, "invalid_signature"}}) {
    const std::string sample = std::string("provider=\"github\",result=\"") + result +
                               "\",source=\"" + src["id"].get<std::string>() + "\"} 1";
    EXPECT_NE(metrics->body.find(sample), std::string::npos) << sample << "\n" << metrics->body;
  }
  EXPECT_EQ(metrics->body.find("source=\"all\""), std::string::npos);
}

TEST(IngestIntegration, ConcurrentDuplicatesCollapseToOneEvent) {
  TestServer t;
  json src = t.CreateSource("github", "s3cret");
  const std::string path = src["ingest_path"];
  const std::string body = R"({"n":1})";
  std::atomic<int> accepted{0}, duplicates{0};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      httplib::Client c("127.0.0.1", t.server().port());
      auto r = c.Post(path, GithubHeaders("s3cret", body, "same"), body, "application/json");
      if (!r) return;
      if (r->status == 202) ++accepted;
      if (r->status == 200) ++duplicates;
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(json::parse(r->body)["id"].get<std::string>());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(duplicates.load(), 31);
  EXPECT_EQ(ids.size(), 1u);
}

TEST(IngestIntegration, DuplicateAfterRestartKeepsFirstId) {
  TempDir tmp;
  const std::string dir = tmp.path();
  const std::string body = R"({"n":2})";
  std::string path, id;
  {
    TestServer t(dir);
    json src = t.CreateSource("github", "s3cret");
    path = src["ingest_path"];
    auto r = t.client().Post(path, GithubHeaders("s3cret", body, "x"), body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202);
    id = json::parse(r->body)["id"];
  }
  TestServer t(dir);
  auto r = t.client().Post(path, GithubHeaders("s3cret", body, "x"), body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["id"], id);
}

TEST(IngestIntegration, FailedCommitAnswers503AndStoresNothing) {
  Settings settings;
  settings.allow_private_targets = true;
  TestServer t("", nullptr, settings);  // the real SQLite store and fan-out
  json src = t.CreateSource("github", "s3cret");
  // An endpoint, so that a stored event would also have made a delivery.
  auto ep = t.Post("/api/v1/endpoints", {{"url", "http://127.0.0.1:9/hook"}});
  ASSERT_TRUE(ep);
  ASSERT_EQ(ep->status, 201) << ep->body;
  auto db = Db::Open(t.data_dir() + "/hookd.db", DbOptions{});
  ASSERT_TRUE(db.ok());
  auto count = [&](const std::string& sql) {
    auto st = (*db)->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return st->Int(0);
  };
  const std::string stored_rows =
      "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM messages)"
      " + (SELECT count(*) FROM deliveries) + (SELECT count(*) FROM status_log"
      " WHERE type IN ('event.received', 'message.created'))";
  // SQLite itself refuses the event's fanned-out message, inside the ingest transaction: the event
  // row and its status entry were already written there and must be rolled back.
  ASSERT_TRUE((*db)
                  ->Exec("CREATE TRIGGER fail_fanout BEFORE INSERT ON messages"
                         " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                  .ok());
  const std::string body = R"({"n":3})";
  auto r = t.client().Post(src["ingest_path"].get<std::string>(),
                           GithubHeaders("s3cret", body, "f"), body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "unavailable");
  EXPECT_EQ(count(stored_rows), 0);
  // Once the database accepts it again, the provider's retry is a first delivery.
  ASSERT_TRUE((*db)->Exec("DROP TRIGGER fail_fanout").ok());
  r = t.client().Post(src["ingest_path"].get<std::string>(), GithubHeaders("s3cret", body, "f"),
                      body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202) << r->body;
  EXPECT_FALSE(json::parse(r->body)["duplicate"].get<bool>());
  EXPECT_EQ(count("SELECT count(*) FROM events"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM deliveries"), 1);
}

// Sends raw requests on one TCP connection; returns each response's head.
std::vector<std::string> RawExchange(uint16_t port, const std::vector<std::string>& requests) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<std::string> heads;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    for (const std::string& req : requests) {
      if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) break;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, n);
      }
      if (got.empty()) break;
      heads.push_back(got.substr(0, got.find("\r\n\r\n")));
    }
  }
  ::close(fd);
  return heads;
}

TEST(IngestIntegration, KeepsHttp11ConnectionsAliveWithoutConnectionHeader) {
  TestServer t;
  const std::string plain = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto heads = RawExchange(t.server().port(), {plain, plain, plain});
  ASSERT_EQ(heads.size(), 3u) << "the connection was closed between requests";
  for (const auto& h : heads) EXPECT_NE(h.find("Connection: keep-alive"), std::string::npos) << h;
}

TEST(IngestIntegration, HonoursConnectionCloseAndHttp10) {
  TestServer t;
  auto heads = RawExchange(t.server().port(),
                           {"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"});
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_NE(heads[0].find("Connection: close"), std::string::npos) << heads[0];
  heads = RawExchange(t.server().port(), {"GET /healthz HTTP/1.0\r\n\r\n"});
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_NE(heads[0].find("Connection: close"), std::string::npos) << heads[0];
}

TEST(IngestIntegration, ResponseHeadersReachTheClient) {
  // Reproduces a bug: Pistache 0.0.5 drops raw response headers, so Set-Cookie never arrived.
  TestServer t;
  auto r =
      t.client().Post("/api/v1/session", json{{"token", "test-token"}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("hookd_session="), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  auto sources =
      t.client().Get("/api/v1/sources", {{"Cookie", cookie.substr(0, cookie.find(';'))}});
  ASSERT_TRUE(sources);
  EXPECT_EQ(sources->status, 200);
  auto page = t.client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
}

// Two rotations within the grace: all three secrets verify, and each previous one stops at the
// end of its own grace.
TEST(IngestIntegration, EverySecretInItsGraceVerifiesAfterTwoRotations) {
  FakeClock clock(1'767'225'600'000);
  TestServer t("", nullptr, Settings{}, &clock);
  json src = t.CreateSource("github", "first");
  const std::string id = src["id"];
  const std::string path = src["ingest_path"];
  auto rotate = [&](const std::string& secret) {
    auto r = t.Post("/api/v1/sources/" + id + "/rotate-secret",
                    {{"secret", secret}, {"grace_seconds", 100}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  };
  int n = 0;
  auto status_with = [&](const std::string& secret) {
    const std::string body = R"({"n":)" + std::to_string(++n) + "}";
    auto r = t.client().Post(path, GithubHeaders(secret, body, "d-" + std::to_string(n)), body,
                             "application/json");
    return r ? r->status : 0;
  };
  rotate("second");  // "first" verifies for 100 s more
  clock.Advance(std::chrono::seconds(10));
  rotate("third");  // "second" verifies for 100 s more
  EXPECT_EQ(status_with("first"), 202);
  EXPECT_EQ(status_with("second"), 202);
  EXPECT_EQ(status_with("third"), 202);
  EXPECT_EQ(status_with("other"), 401);

  clock.Advance(std::chrono::seconds(90));  // the first's grace has ended
  EXPECT_EQ(status_with("first"), 401);
  EXPECT_EQ(status_with("second"), 202);
  EXPECT_EQ(status_with("third"), 202);

  clock.Advance(std::chrono::seconds(10));  // and the second's
  EXPECT_EQ(status_with("first"), 401);
  EXPECT_EQ(status_with("second"), 401);
  EXPECT_EQ(status_with("third"), 202);
}

}  // namespace
}  // namespace hookd::testing
