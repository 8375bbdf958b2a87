// HttpSender against the in-process receivers on 127.0.0.1 of tests/testing/receivers.h.
#include "deliver/http_sender.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "deliver/ip_address.h"
#include "deliver/ssrf_guard.h"
#include "tests/testing/fake_resolver.h"
#include "tests/testing/outbound_request.h"
#include "tests/testing/process_stats.h"
#include "tests/testing/receivers.h"
#include "tests/testing/wait.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;
using testing::FakeResolver;
using testing::RawListener;
using testing::Receiver;
using testing::ResidentBytes;
using testing::SampleRequest;
using testing::WaitUntil;

class HttpSenderTest : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  // `threads` threads each send `sends` requests to `url` through `sender`; how many got 200.
  int SendConcurrently(HttpSender& sender, const std::string& url, int threads, int sends) {
    std::atomic<int> ok{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = 0; i < sends; ++i) {
          ok += sender.Send(SampleRequest(url), milliseconds(2000)).status == 200;
        }
      });
    }
    for (auto& t : pool) t.join();
    return ok;
  }

  // Declared before the sender so that the sender (and its pooled connections) goes first.
  Receiver receiver_;
  FakeResolver resolver_{FakeResolver::Loopback()};
  SsrfGuard guard_{resolver_, /*allow_private=*/true};
  std::unique_ptr<HttpSender> sender_ = std::make_unique<HttpSender>(guard_, "hookd/test");
};

TEST_F(HttpSenderTest, DeliversBodyAndHeadersAndReadsTheResponse) {
  SendResult r =
      sender_->Send(SampleRequest(receiver_.Url("/ok", "localhost")), milliseconds(2000));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, R"({"received":true})");
  EXPECT_TRUE(r.error.empty());
  EXPECT_FALSE(r.retry_after.has_value());
  EXPECT_GE(r.duration_ms, 0);
  EXPECT_LT(r.duration_ms, 2000);

  ASSERT_EQ(receiver_.requests(), 1);
  httplib::Request got = receiver_.last();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/ok");
  EXPECT_EQ(got.body, R"({"type":"user.created","data":{"id":1}})");
  EXPECT_EQ(got.get_header_value("webhook-id"), "msg_1");
  EXPECT_EQ(got.get_header_value("webhook-timestamp"), "1700000000");
  EXPECT_EQ(got.get_header_value("webhook-signature"), "v1,c2lnbmF0dXJl");
  EXPECT_EQ(got.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(got.get_header_value("User-Agent"), "hookd/test");
  EXPECT_EQ(got.get_header_value_count("User-Agent"), 1u);
  // The URL's host, though the connection went to the address the guard returned.
  EXPECT_EQ(got.get_header_value("Host"), "localhost:" + std::to_string(receiver_.port()));
  EXPECT_EQ(resolver_.calls, 1);
}

TEST_F(HttpSenderTest, ReservedHeadersFromTheRequestAreReplaced) {
  OutboundRequest req = SampleRequest(receiver_.Url("/ok"));
  req.headers.emplace_back("Content-Type", "text/plain");
  req.headers.emplace_back("user-agent", "someone-else");
  req.headers.emplace_back("Content-Length", "1");
  SendResult r = sender_->Send(req, milliseconds(2000));
  ASSERT_EQ(r.status, 200) << r.error;
  httplib::Request got = receiver_.last();
  EXPECT_EQ(got.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(got.get_header_value_count("Content-Type"), 1u);
  EXPECT_EQ(got.get_header_value("User-Agent"), "hookd/test");
  EXPECT_EQ(got.body, req.body);
}

TEST_F(HttpSenderTest, ServerErrorIsAStatus) {
  SendResult r = sender_->Send(SampleRequest(receiver_.Url("/fail")), milliseconds(2000));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "boom");
  EXPECT_TRUE(r.error.empty());
}

TEST_F(HttpSenderTest, RedirectIsNotFollowed) {
  SendResult r = sender_->Send(SampleRequest(receiver_.Url("/redirect")), milliseconds(2000));
  EXPECT_EQ(r.status, 302);
  EXPECT_TRUE(r.error.empty());
  ASSERT_EQ(receiver_.requests(), 1);
  EXPECT_EQ(receiver_.last().path, "/redirect");
}

TEST_F(HttpSenderTest, RetryAfterIsReported) {
  SendResult r = sender_->Send(SampleRequest(receiver_.Url("/limited")), milliseconds(2000));
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, "7");
}

TEST_F(HttpSenderTest, SlowReceiverTimesOutAtTheDeadline) {
  const milliseconds deadline(300);
  SendResult r = sender_->Send(SampleRequest(receiver_.Url("/slow")), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_GE(r.duration_ms, deadline.count() - 50);
  EXPECT_LT(r.duration_ms, deadline.count() + 1000);
  EXPECT_EQ(sender_->IdleConnections(), 0u);
}

TEST_F(HttpSenderTest, TrickledBodyIsCutAtTheDeadline) {
  const milliseconds deadline(300);
  SendResult r = sender_->Send(SampleRequest(receiver_.Url("/trickle")), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_LT(r.duration_ms, deadline.count() + 1000);
}

TEST_F(HttpSenderTest, TrickledHeadersAreCutAtTheDeadline) {
  RawListener drip([](int fd) {
    if (!RawListener::ReadRequest(fd)) return;
    if (!RawListener::Write(fd, "HTTP/1.1 200 OK\r\n")) return;
    for (int i = 0; i < 250; ++i) {  // 5 s at most
      std::this_thread::sleep_for(milliseconds(20));
      if (!RawListener::Write(fd, "X-Drip: 1\r\n")) return;
    }
  });
  const milliseconds deadline(300);
  const std::string url = "http://127.0.0.1:" + std::to_string(drip.port()) + "/";
  SendResult r = sender_->Send(SampleRequest(url), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_LT(r.duration_ms, deadline.count() + 1000);
}

TEST_F(HttpSenderTest, HugeBodyIsCappedAndMemoryStaysFlat) {
  const size_t rss_before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  SendResult r = sender_->Send(SampleRequest(receiver_.Url("/huge")), milliseconds(5000));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.body.size(), HttpSender::kMaxBodyKept);
  EXPECT_EQ(r.body, std::string(HttpSender::kMaxBodyKept, 'a'));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_LT(ResidentBytes(), rss_before + 100 * 1024 * 1024);
  // The rest of the body is still on that connection: it is not reused.
  EXPECT_EQ(sender_->IdleConnections(), 0u);
  SendResult next = sender_->Send(SampleRequest(receiver_.Url("/ok")), milliseconds(2000));
  EXPECT_EQ(next.status, 200) << next.error;
}

TEST_F(HttpSenderTest, SequentialSendsReuseOneConnection) {
  for (int i = 0; i < 50; ++i) {
    SendResult r = sender_->Send(SampleRequest(receiver_.Url("/ok")), milliseconds(2000));
    ASSERT_EQ(r.status, 200) << "send " << i << ": " << r.error;
  }
  EXPECT_EQ(receiver_.requests(), 50);
  EXPECT_LE(receiver_.remote_ports().size(), 2u);
  EXPECT_EQ(sender_->IdleConnections(), 1u);
}

TEST_F(HttpSenderTest, ConcurrentSendsShareABoundedPool) {
  constexpr int kThreads = 8, kSends = 25;
  EXPECT_EQ(SendConcurrently(*sender_, receiver_.Url("/ok"), kThreads, kSends), kThreads * kSends);
  // The pool keeps as many idle clients per origin as there are concurrent senders here, so
  // no connection is closed and reopened: one per thread at most.
  EXPECT_LE(receiver_.remote_ports().size(), static_cast<size_t>(kThreads));
  EXPECT_LE(sender_->IdleConnections(), HttpSender::kDefaultMaxIdlePerOrigin);
}

TEST_F(HttpSenderTest, IdleClientsPerOriginAreCapped) {
  HttpSender small(guard_, "hookd/test", 2);
  constexpr int kThreads = 6, kSends = 10;
  EXPECT_EQ(SendConcurrently(small, receiver_.Url("/ok"), kThreads, kSends), kThreads * kSends);
  EXPECT_GE(small.IdleConnections(), 1u);
  EXPECT_LE(small.IdleConnections(), 2u);
}

TEST_F(HttpSenderTest, ConnectionsArePooledPerOriginNotPerEndpoint) {
  ASSERT_EQ(sender_->Send(SampleRequest(receiver_.Url("/ok"), "ep_a"), milliseconds(2000)).status,
            200);
  // Another endpoint on the same origin reuses the connection.
  ASSERT_EQ(sender_->Send(SampleRequest(receiver_.Url("/ok"), "ep_b"), milliseconds(2000)).status,
            200);
  EXPECT_EQ(receiver_.remote_ports().size(), 1u);
  // The same address under another host name is another origin: its own connection.
  ASSERT_EQ(
      sender_->Send(SampleRequest(receiver_.Url("/ok", "localhost"), "ep_a"), milliseconds(2000))
          .status,
      200);
  EXPECT_EQ(receiver_.remote_ports().size(), 2u);
  EXPECT_EQ(sender_->IdleConnections(), 2u);
  ASSERT_EQ(sender_->Send(SampleRequest(receiver_.Url("/ok"), "ep_c"), milliseconds(2000)).status,
            200);
  EXPECT_EQ(receiver_.remote_ports().size(), 2u);
}

TEST_F(HttpSenderTest, ConnectionClosedByTheReceiverWhileIdleIsNotReused) {
  // Answers as if keeping the connection alive, then closes it.
  RawListener once([](int fd) {
    if (!RawListener::ReadRequest(fd)) return;
    RawListener::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(once.port()) + "/";
  SendResult first = sender_->Send(SampleRequest(url), milliseconds(2000));
  ASSERT_EQ(first.status, 200) << first.error;
  EXPECT_EQ(first.body, "ok");
  // Wait until the receiver has closed the connection (not merely accepted it).
  ASSERT_TRUE(WaitUntil([&] { return once.closed() == 1; }, milliseconds(5000), milliseconds(1)));
  SendResult second = sender_->Send(SampleRequest(url), milliseconds(2000));
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(once.accepted(), 2);
}

TEST_F(HttpSenderTest, ForbiddenAddressIsRefusedWithoutConnecting) {
  SsrfGuard strict(resolver_, /*allow_private=*/false);
  HttpSender sender(strict, "hookd/test");
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    SendResult r = sender.Send(SampleRequest(receiver_.Url("/ok", host)), milliseconds(2000));
    EXPECT_EQ(r.status, 0);
    EXPECT_FALSE(r.error.empty());
  }
  EXPECT_EQ(receiver_.requests(), 0);
}

TEST_F(HttpSenderTest, UnresolvableHostIsAnError) {
  SendResult r = sender_->Send(SampleRequest("http://nowhere.invalid/"), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("nowhere.invalid"), std::string::npos) << r.error;
}

TEST_F(HttpSenderTest, RefusedConnectionIsAnError) {
  int port;
  {
    RawListener closed([](int) {});
    port = closed.port();
  }  // nothing listens there any more
  SendResult r = sender_->Send(SampleRequest("http://127.0.0.1:" + std::to_string(port) + "/"),
                               milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_LT(r.duration_ms, 2000);
}

TEST_F(HttpSenderTest, TlsToAPlainHttpReceiverFails) {
  const std::string url = "https://127.0.0.1:" + std::to_string(receiver_.port()) + "/ok";
  SendResult r = sender_->Send(SampleRequest(url), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace hookd
