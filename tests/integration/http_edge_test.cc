// The HTTP edge against clients an ordinary HTTP library cannot be: pipelining, lax framing,
// slow senders, too many connections, too many unfinished bodies. Real server on port 0.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_errors.h"
#include "common/http_server.h"
#include "tests/testing/raw_client.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;

constexpr char kHealth[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

class HttpEdgeTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    router_.Add("GET", "/healthz", Access::kPublic, SyncHandler([](HttpRequest&) {
                  return JsonResponse(200, {{"status", "ok"}});
                }));
    router_.Add("POST", "/echo", Access::kPublic, SyncHandler([](HttpRequest& req) {
                  return JsonResponse(200, {{"bytes", req.body.size()}});
                }));
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, router_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  // A fresh connection still gets an answer.
  void ExpectServing() {
    RawClient c(server_->port());
    ASSERT_TRUE(c.Send(kHealth));
    EXPECT_EQ(c.Read(milliseconds(2000), 1).substr(0, 1), "H");
  }
  uint16_t port() { return server_->port(); }

  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpEdgeTest, ReproducesHangThreePipelinedRequestsGetThreeAnswersInOrder) {
  Start();
  RawClient c(port());
  std::string three =
      std::string(kHealth) + "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + kHealth;
  ASSERT_TRUE(c.Send(three));
  std::string got = c.Read(milliseconds(500));
  ASSERT_EQ(RawClient::CountResponses(got), 3) << got;
  EXPECT_LT(got.find("\"status\""), got.find("\"bytes\":3"));
  EXPECT_LT(got.find("\"bytes\":3"), got.rfind("\"status\""));
  EXPECT_FALSE(c.closed());  // keep-alive
}

TEST_F(HttpEdgeTest, ReproducesSmugglingA413ClosesAndRunsNothingFromTheBody) {
  HttpServerOptions o;
  o.max_body_bytes = 4096;  // the edge allows this + 64 KiB
  Start(o);
  RawClient c(port());
  std::string inner =
      std::string("GET /healthz HTTP/1.1\r\n\r\n") + "GET /healthz HTTP/1.1\r\n\r\n";
  std::string body(200 * 1024, 'x');
  c.Send("POST /echo HTTP/1.1\r\nContent-Length: " + std::to_string(body.size() + inner.size()) +
         "\r\n\r\n");
  c.Send(body + inner);  // may fail part-way once the server has answered and stopped reading
  std::string got = c.Read(milliseconds(1000));
  EXPECT_EQ(RawClient::CountResponses(got), 1) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_NE(got.find("\"payload_too_large\""), std::string::npos);
  ExpectServing();
}

TEST_F(HttpEdgeTest, ReproducesInternalErrorTextBadFramingIsANeutralJson400AndCloses) {
  Start();
  for (const std::string req :
       {"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello",
        "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "GARBAGE\r\n\r\n", "GET /healthz HTTP/1.1\nHost: x\n\n", "GET /a b HTTP/1.1\r\n\r\n"}) {
    RawClient c(port());
    c.Send(req + kHealth);  // nothing after a framing error is taken as a request
    std::string got = c.Read(milliseconds(1000));
    EXPECT_EQ(RawClient::CountResponses(got), 1) << req << "\n" << got;
    EXPECT_TRUE(got.rfind("HTTP/1.1 400", 0) == 0 || got.rfind("HTTP/1.1 413", 0) == 0) << got;
    EXPECT_NE(got.find("application/json"), std::string::npos);
    for (const char* internal : {"stoull", "_M_create", "bad_alloc", "exception"})
      EXPECT_EQ(got.find(internal), std::string::npos) << internal;
    EXPECT_TRUE(c.closed()) << req;
  }
  ExpectServing();
}

// "gzip, chunked" was framed as plain chunked, and a lone "gzip" as no body at all (its bytes then
// read as the next request). Any transfer coding but a lone "chunked" is a JSON 501 that closes.
TEST_F(HttpEdgeTest, TransferCodingsOtherThanChunkedAreA501ThatCloses) {
  Start();
  for (const std::string te : {"gzip, chunked", "gzip", "deflate ,chunked", "chunked, chunked"}) {
    RawClient c(port());
    c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
           "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + kHealth);
    std::string got = c.Read(milliseconds(1000));
    EXPECT_EQ(RawClient::CountResponses(got), 1) << te << "\n" << got;
    EXPECT_EQ(got.rfind("HTTP/1.1 501 Not Implemented\r\n", 0), 0u) << te << "\n" << got;
    EXPECT_NE(got.find("application/json"), std::string::npos) << got;
    EXPECT_NE(got.find("\"not_implemented\""), std::string::npos) << got;
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
    EXPECT_TRUE(c.closed()) << te;
  }
  for (const std::string te : {"chunked", "CHUNKED", " Chunked\t"}) {
    RawClient c(port());
    c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:" + te +
           "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + kHealth);
    std::string got = c.Read(milliseconds(500));
    EXPECT_EQ(RawClient::CountResponses(got), 2) << te << "\n" << got;
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
    EXPECT_NE(got.find("\"bytes\":5"), std::string::npos) << got;
    EXPECT_FALSE(c.closed()) << te;
  }
  ExpectServing();
}

TEST_F(HttpEdgeTest, ReproducesSlowlorisHeadersNotCompleteInTimeAre408AndClosed) {
  HttpServerOptions o;
  o.header_timeout = milliseconds(300);
  Start(o);
  RawClient slow(port());
  const auto start = std::chrono::steady_clock::now();
  std::string got;
  for (int i = 0; i < 20 && !slow.closed(); ++i) {
    slow.Send("X");  // one byte at a time never extends the deadline
    got += slow.Read(milliseconds(50));
  }
  got += slow.Read(milliseconds(2000));
  EXPECT_TRUE(slow.closed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  // Answered before the close: 408 with the JSON error, and nothing else.
  EXPECT_EQ(got.rfind("HTTP/1.1 408 ", 0), 0u) << got;
  EXPECT_EQ(RawClient::CountResponses(got), 1) << got;
  const size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << got;
  auto error = nlohmann::json::parse(got.substr(body + 4), nullptr, false);
  EXPECT_EQ(error["error"]["code"], "request_timeout") << got;
  RawClient silent(port());
  silent.Read(milliseconds(3000));
  EXPECT_TRUE(silent.closed());  // a connection that sends nothing is closed too
  ExpectServing();
}

TEST_F(HttpEdgeTest, BodyTimeoutAndIdleKeepAliveTimeout) {
  HttpServerOptions o;
  o.body_timeout = milliseconds(300);
  o.keepalive_timeout = milliseconds(300);
  Start(o);
  RawClient upload(port());
  upload.Send("POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
  std::string got = upload.Read(milliseconds(3000));
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_TRUE(upload.closed());

  RawClient idle(port());
  idle.Send(kHealth);
  got = idle.Read(milliseconds(3000));
  EXPECT_EQ(RawClient::CountResponses(got), 1);
  EXPECT_TRUE(idle.closed());  // answered, then closed once idle past the keep-alive timeout
}

TEST_F(HttpEdgeTest, PastTheConnectionCapNewConnectionsGet503AndOthersStillWork) {
  HttpServerOptions o;
  o.max_connections = 8;
  Start(o);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<RawClient>(port()));
    // An answer proves this connection was accepted and admitted before the next one.
    ASSERT_TRUE(held.back()->Send(kHealth));
    ASSERT_EQ(RawClient::CountResponses(held.back()->Read(milliseconds(5000), 12)), 1) << i;
  }
  RawClient extra(port());
  std::string got = extra.Read(milliseconds(5000));
  EXPECT_EQ(got.rfind("HTTP/1.1 503", 0), 0u) << got;
  EXPECT_NE(got.find("too_many_connections"), std::string::npos);
  EXPECT_TRUE(extra.closed());
  ASSERT_TRUE(held[0]->Send(kHealth));  // an admitted connection is served
  EXPECT_EQ(RawClient::CountResponses(held[0]->Read(milliseconds(5000), 12)), 1);
  held.clear();
  for (int i = 0; i < 50; ++i) {  // room again once they have gone
    RawClient c(port());
    c.Send(kHealth);
    if (c.Read(milliseconds(500), 12).rfind("HTTP/1.1 200", 0) == 0) return;
  }
  ADD_FAILURE() << "no connection admitted after the others closed";
}

TEST_F(HttpEdgeTest, UnfinishedBodiesStayWithinTheBudgetWhileSmallRequestsAreServed) {
  HttpServerOptions o;
  o.max_body_bytes = 1 << 20;
  o.buffer_budget_bytes = 4 << 20;  // large bodies may hold 3 MiB of it
  Start(o);
  std::vector<std::unique_ptr<RawClient>> uploads;
  const std::string part(512 * 1024, 'x');
  for (int i = 0; i < 12; ++i) {
    auto c = std::make_unique<RawClient>(port());
    c->Send("POST /echo HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n");
    c->Send(part);
    uploads.push_back(std::move(c));
  }
  int refused = 0;
  for (auto& c : uploads) {
    std::string got = c->Read(milliseconds(200));
    if (got.rfind("HTTP/1.1 503", 0) == 0) {
      ++refused;
      EXPECT_NE(got.find("\"overloaded\""), std::string::npos);
    }
  }
  // 12 x 512 KiB = 6 MiB does not fit in 4 MiB: some are refused, most of the budget's worth are
  // not.
  EXPECT_GE(refused, 4);
  EXPECT_LE(refused, 9);
  ExpectServing();
  RawClient small(port());
  small.Send("POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_NE(small.Read(milliseconds(1000)).find("\"bytes\":3"), std::string::npos);
}

}  // namespace
}  // namespace hookd
