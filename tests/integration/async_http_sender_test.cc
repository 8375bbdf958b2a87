// AsyncHttpSender against the in-process receivers of tests/testing/receivers.h, with its
// io_context run on two threads started here, and a TLS receiver with a throwaway CA generated
// by the openssl command at test time.
#include "deliver/async_http_sender.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "deliver/ssrf_guard.h"
#include "tests/testing/fake_resolver.h"
#include "tests/testing/outbound_request.h"
#include "tests/testing/process_stats.h"
#include "tests/testing/receivers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::FakeResolver;
using testing::HoldingListener;
using testing::RawListener;
using testing::Receiver;
using testing::ResidentBytes;
using testing::SampleRequest;
using testing::ThreadCount;
using testing::WaitUntil;

// An io_context run by `threads` threads until destruction.
class IoThreads {
 public:
  explicit IoThreads(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~IoThreads() {
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::vector<std::thread> threads_;
};

// Collects results of many attempts; Wait() until `n` have arrived.
class Results {
 public:
  AsyncSender::Done Callback(int index) {
    return [this, index](SendResult r) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.push_back(std::move(r));
      order_.push_back(index);
      cv_.notify_all();
    };
  }
  bool Wait(size_t n, milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return results_.size() >= n; });
  }
  std::vector<SendResult> results() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }
  std::vector<int> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SendResult> results_;
  std::vector<int> order_;
};

class AsyncHttpSenderTest : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  // One attempt, waited for here.
  static SendResult Send(AsyncSender& sender, OutboundRequest request, milliseconds deadline) {
    auto promise = std::make_shared<std::promise<SendResult>>();
    std::future<SendResult> future = promise->get_future();
    sender.SendAsync(std::move(request), deadline,
                     [promise](SendResult r) { promise->set_value(std::move(r)); });
    if (future.wait_for(deadline + std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "done was not called";
      return SendResult{};
    }
    return future.get();
  }
  SendResult Send(const std::string& url, milliseconds deadline = milliseconds(2000)) {
    return Send(*sender_, SampleRequest(url), deadline);
  }

  // Declared before the sender so that the sender (and its pooled connections) goes first.
  Receiver receiver_;
  FakeResolver resolver_{FakeResolver::Loopback()};
  SsrfGuard guard_{resolver_, /*allow_private=*/true};
  IoThreads io_{2};
  std::unique_ptr<AsyncHttpSender> sender_ =
      std::make_unique<AsyncHttpSender>(io_.io(), guard_, "hookd/test");
};

TEST_F(AsyncHttpSenderTest, DeliversBodyAndHeadersAndReadsTheResponse) {
  SendResult r = Send(receiver_.Url("/ok", "localhost"));
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

TEST_F(AsyncHttpSenderTest, ReservedAndMalformedHeadersFromTheRequestAreNotSent) {
  OutboundRequest req = SampleRequest(receiver_.Url("/ok"));
  req.headers.emplace_back("Content-Type", "text/plain");
  req.headers.emplace_back("user-agent", "someone-else");
  req.headers.emplace_back("Content-Length", "1");
  req.headers.emplace_back("Transfer-Encoding", "chunked");
  req.headers.emplace_back("X-Split", "a\r\nX-Injected: yes");
  // Stored before the endpoint API refused control characters: never sent.
  req.headers.emplace_back("X-Control", std::string("a\x01z"));
  req.headers.emplace_back("X-Delete", std::string("a\x7fz"));
  req.headers.emplace_back("X-Tab", "a\tz");
  SendResult r = Send(*sender_, req, milliseconds(2000));
  ASSERT_EQ(r.status, 200) << r.error;
  httplib::Request got = receiver_.last();
  EXPECT_EQ(got.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(got.get_header_value_count("Content-Type"), 1u);
  EXPECT_EQ(got.get_header_value("User-Agent"), "hookd/test");
  EXPECT_FALSE(got.has_header("X-Split"));
  EXPECT_FALSE(got.has_header("X-Injected"));
  EXPECT_FALSE(got.has_header("X-Control"));
  EXPECT_FALSE(got.has_header("X-Delete"));
  EXPECT_EQ(got.get_header_value("X-Tab"), "a\tz");
  EXPECT_EQ(got.body, req.body);
}

TEST_F(AsyncHttpSenderTest, ServerErrorIsAStatus) {
  SendResult r = Send(receiver_.Url("/fail"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "boom");
  EXPECT_TRUE(r.error.empty());
}

TEST_F(AsyncHttpSenderTest, ClientErrorIsAStatusAndFourKiBOfTheBodyAreKept) {
  SendResult r = Send(receiver_.Url("/missing"));
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.body, std::string(AsyncHttpSender::kMaxBodyKept, 'm'));
  // 10 KiB is under the read cap: read whole, so the connection is kept.
  EXPECT_EQ(sender_->IdleConnections(), 1u);
}

TEST_F(AsyncHttpSenderTest, RedirectIsNotFollowed) {
  SendResult r = Send(receiver_.Url("/redirect"));
  EXPECT_EQ(r.status, 302);
  EXPECT_TRUE(r.error.empty());
  ASSERT_EQ(receiver_.requests(), 1);
  EXPECT_EQ(receiver_.last().path, "/redirect");
}

TEST_F(AsyncHttpSenderTest, RetryAfterIsReported) {
  SendResult r = Send(receiver_.Url("/limited"));
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, "7");
}

TEST_F(AsyncHttpSenderTest, ReceiverThatNeverAnswersIsCutAtTheDeadline) {
  const milliseconds deadline(300);
  SendResult r = Send(receiver_.Url("/slow"), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_GE(r.duration_ms, deadline.count() - 5);
  EXPECT_LT(r.duration_ms, deadline.count() + 500);
  EXPECT_EQ(sender_->IdleConnections(), 0u);
  EXPECT_EQ(sender_->in_flight(), 0u);
}

TEST_F(AsyncHttpSenderTest, TrickledBodyIsCutAtTheDeadline) {
  const milliseconds deadline(300);
  SendResult r = Send(receiver_.Url("/trickle"), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_GE(r.duration_ms, deadline.count() - 5);
  EXPECT_LT(r.duration_ms, deadline.count() + 500);
}

TEST_F(AsyncHttpSenderTest, TrickledHeadersAreCutAtTheDeadline) {
  RawListener drip([](int fd) {
    if (!RawListener::ReadRequest(fd)) return;
    if (!RawListener::Write(fd, "HTTP/1.1 200 OK\r\n")) return;
    for (int i = 0; i < 250; ++i) {  // 5 s at most
      std::this_thread::sleep_for(milliseconds(20));
      if (!RawListener::Write(fd, "X-Drip: 1\r\n")) return;
    }
  });
  const milliseconds deadline(300);
  SendResult r = Send("http://127.0.0.1:" + std::to_string(drip.port()) + "/", deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_LT(r.duration_ms, deadline.count() + 500);
}

TEST_F(AsyncHttpSenderTest, ChunkedBodyOverTheReadCapIsCut) {
  const size_t rss_before = ResidentBytes();
  const auto start = steady_clock::now();
  SendResult r = Send(receiver_.Url("/huge"), milliseconds(5000));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.body, std::string(AsyncHttpSender::kMaxBodyKept, 'a'));
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_LT(ResidentBytes(), rss_before + 100 * 1024 * 1024);
  // The rest of the body is still on that connection: it is not reused.
  EXPECT_EQ(sender_->IdleConnections(), 0u);
  SendResult next = Send(receiver_.Url("/ok"));
  EXPECT_EQ(next.status, 200) << next.error;
  EXPECT_EQ(receiver_.remote_ports().size(), 2u);
}

TEST_F(AsyncHttpSenderTest, ContentLengthBodyOverTheReadCapIsCut) {
  SendResult r = Send(receiver_.Url("/large"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, std::string(AsyncHttpSender::kMaxBodyKept, 'l'));
  EXPECT_EQ(sender_->IdleConnections(), 0u);
}

TEST_F(AsyncHttpSenderTest, SequentialSendsReuseOneConnection) {
  for (int i = 0; i < 50; ++i) {
    SendResult r = Send(receiver_.Url("/ok"));
    ASSERT_EQ(r.status, 200) << "send " << i << ": " << r.error;
  }
  EXPECT_EQ(receiver_.requests(), 50);
  EXPECT_EQ(receiver_.remote_ports().size(), 1u);
  EXPECT_EQ(sender_->IdleConnections(), 1u);
}

TEST_F(AsyncHttpSenderTest, ConcurrentSendsShareABoundedPool) {
  AsyncHttpSenderOptions options;
  options.max_idle_per_origin = 2;
  AsyncHttpSender small(io_.io(), guard_, "hookd/test", options);
  constexpr int kWaves = 5, kConcurrent = 6;
  Results results;
  for (int wave = 0; wave < kWaves; ++wave) {
    for (int i = 0; i < kConcurrent; ++i) {
      small.SendAsync(SampleRequest(receiver_.Url("/ok")), milliseconds(2000),
                      results.Callback(wave * kConcurrent + i));
    }
    ASSERT_TRUE(results.Wait(static_cast<size_t>((wave + 1) * kConcurrent), milliseconds(5000)));
  }
  for (const SendResult& r : results.results()) EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_GE(small.IdleConnections(), 1u);
  EXPECT_LE(small.IdleConnections(), 2u);
}

TEST_F(AsyncHttpSenderTest, ConnectionsArePooledPerOriginNotPerEndpoint) {
  ASSERT_EQ(Send(*sender_, SampleRequest(receiver_.Url("/ok"), "ep_a"), milliseconds(2000)).status,
            200);
  // Another endpoint on the same origin reuses the connection.
  ASSERT_EQ(Send(*sender_, SampleRequest(receiver_.Url("/ok"), "ep_b"), milliseconds(2000)).status,
            200);
  EXPECT_EQ(receiver_.remote_ports().size(), 1u);
  // The same address under another host name is another origin: its own connection.
  ASSERT_EQ(
      Send(*sender_, SampleRequest(receiver_.Url("/ok", "localhost"), "ep_a"), milliseconds(2000))
          .status,
      200);
  EXPECT_EQ(receiver_.remote_ports().size(), 2u);
  EXPECT_EQ(sender_->IdleConnections(), 2u);
  ASSERT_EQ(Send(*sender_, SampleRequest(receiver_.Url("/ok"), "ep_c"), milliseconds(2000)).status,
            200);
  EXPECT_EQ(receiver_.remote_ports().size(), 2u);
}

TEST_F(AsyncHttpSenderTest, ConnectionClosedByTheReceiverWhileIdleIsNotReused) {
  RawListener once([](int fd) {
    if (!RawListener::ReadRequest(fd)) return;
    RawListener::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(once.port()) + "/";
  SendResult first = Send(url);
  ASSERT_EQ(first.status, 200) << first.error;
  EXPECT_EQ(first.body, "ok");
  EXPECT_EQ(sender_->IdleConnections(), 1u);
  // Wait until the receiver has closed the connection (not merely accepted it).
  ASSERT_TRUE(WaitUntil([&] { return once.closed() == 1; }, milliseconds(5000), milliseconds(1)));
  SendResult second = Send(url);
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(once.accepted(), 2);
}

TEST_F(AsyncHttpSenderTest, PooledConnectionClosedAsItIsReusedIsRetriedOnceOnAFreshOne) {
  // The first connection answers one request, then reads the next and closes without a word
  // (a keep-alive timeout racing the reuse); later connections answer one request each.
  std::atomic<int> connection{0};
  std::atomic<int> requests{0};
  RawListener racy([&](int fd) {
    const bool first = connection++ == 0;
    while (RawListener::ReadRequest(fd)) {
      ++requests;
      if (first && requests == 2) return;
      RawListener::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      if (!first) return;
    }
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(racy.port()) + "/";
  ASSERT_EQ(Send(url).status, 200);
  SendResult second = Send(url);
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(requests, 3);
  EXPECT_EQ(racy.accepted(), 2);
}

TEST_F(AsyncHttpSenderTest, FreshConnectionClosedWithoutAResponseIsAnErrorNotRetried) {
  RawListener mute([](int fd) { RawListener::ReadRequest(fd); });
  SendResult r = Send("http://127.0.0.1:" + std::to_string(mute.port()) + "/");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("closed or failed before a complete response"), std::string::npos)
      << r.error;
  EXPECT_EQ(mute.accepted(), 1);
}

TEST_F(AsyncHttpSenderTest, NameResolvingToAPrivateAddressIsRefusedWithoutConnecting) {
  SsrfGuard strict(resolver_, /*allow_private=*/false);
  AsyncHttpSender sender(io_.io(), strict, "hookd/test");
  SendResult by_name =
      Send(sender, SampleRequest(receiver_.Url("/ok", "localhost")), milliseconds(2000));
  EXPECT_EQ(by_name.status, 0);
  EXPECT_NE(by_name.error.find("127.0.0.1"), std::string::npos) << by_name.error;
  EXPECT_NE(by_name.error.find("not a globally reachable address"), std::string::npos)
      << by_name.error;
  EXPECT_EQ(resolver_.calls, 1);

  // A literal is refused inline, before SendAsync returns.
  bool called = false;
  SendResult literal;
  sender.SendAsync(SampleRequest(receiver_.Url("/ok", "127.0.0.1")), milliseconds(2000),
                   [&](SendResult r) {
                     called = true;
                     literal = std::move(r);
                   });
  EXPECT_TRUE(called);
  EXPECT_EQ(literal.status, 0);
  EXPECT_NE(literal.error.find("not a globally reachable address"), std::string::npos)
      << literal.error;
  EXPECT_EQ(receiver_.requests(), 0);
}

TEST_F(AsyncHttpSenderTest, UnresolvableHostIsAnError) {
  SendResult r = Send("http://nowhere.invalid/");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("nowhere.invalid"), std::string::npos) << r.error;
}

TEST_F(AsyncHttpSenderTest, RefusedConnectionIsAnError) {
  int port;
  {
    RawListener closed([](int) {});
    port = closed.port();
  }  // nothing listens there any more
  SendResult r = Send("http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "could not connect to 127.0.0.1 port " + std::to_string(port));
  EXPECT_LT(r.duration_ms, 2000);
}

TEST_F(AsyncHttpSenderTest, TlsToAPlainHttpReceiverFails) {
  SendResult r = Send("https://127.0.0.1:" + std::to_string(receiver_.port()) + "/ok");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS"), std::string::npos) << r.error;
}

TEST_F(AsyncHttpSenderTest, InFlightCapQueuesAttemptsInOrder) {
  HoldingListener hold;
  AsyncHttpSenderOptions options;
  options.max_in_flight = 2;
  AsyncHttpSender capped(io_.io(), guard_, "hookd/test", options);
  const milliseconds deadline(300);
  const std::string url = "http://127.0.0.1:" + std::to_string(hold.port()) + "/";
  Results results;
  const auto start = steady_clock::now();
  for (int i = 0; i < 5; ++i) capped.SendAsync(SampleRequest(url), deadline, results.Callback(i));
  EXPECT_EQ(capped.in_flight(), 2u);
  EXPECT_EQ(capped.queued(), 3u);
  // Two connect at once; until the first deadline has passed no third can (read the count
  // first, then the time: a count read before the deadline is at most 2).
  EXPECT_TRUE(WaitUntil([&] { return hold.accepted() >= 2; }, milliseconds(5000)));
  const int accepted = hold.accepted();
  if (steady_clock::now() - start < deadline) {
    EXPECT_EQ(accepted, 2);
  }
  ASSERT_TRUE(results.Wait(5, milliseconds(5000)));
  const auto took = steady_clock::now() - start;
  // Three waves of at most two; each attempt's deadline started when it left the queue.
  EXPECT_GE(took, 3 * deadline - milliseconds(15));
  for (const SendResult& r : results.results()) {
    EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
    EXPECT_GE(r.duration_ms, deadline.count() - 5);
    EXPECT_LT(r.duration_ms, deadline.count() + 500);
  }
  std::vector<int> order = results.order();
  ASSERT_EQ(order.size(), 5u);
  EXPECT_LT(std::max(order[0], order[1]), std::min(order[2], order[3]));
  EXPECT_EQ(order[4], 4);
  EXPECT_EQ(hold.accepted(), 5);
  EXPECT_EQ(capped.in_flight(), 0u);
}

TEST_F(AsyncHttpSenderTest, AThousandAttemptsInFlightOnTwoThreadsEndAtTheDeadline) {
  HoldingListener hold;
  constexpr int kAttempts = 1000;
  // Long enough for 1,000 connections to be made on a loaded machine before any attempt ends.
  const milliseconds deadline(4000);
  const std::string url = "http://127.0.0.1:" + std::to_string(hold.port()) + "/";
  const int threads_before = ThreadCount();
  const size_t rss_before = ResidentBytes();
  Results results;
  const auto start = steady_clock::now();
  for (int i = 0; i < kAttempts; ++i)
    sender_->SendAsync(SampleRequest(url), deadline, results.Callback(i));
  // All of them connected and waiting for an answer at once.
  // EXPECT, not ASSERT: the callbacks refer to `results`, which must outlive them.
  EXPECT_TRUE(WaitUntil([&] { return hold.accepted() == kAttempts; }, deadline - milliseconds(500)))
      << hold.accepted() << " accepted";
  EXPECT_EQ(sender_->in_flight(), static_cast<size_t>(kAttempts));
  EXPECT_EQ(results.results().size(), 0u);
  EXPECT_EQ(ThreadCount(), threads_before);  // no thread per attempt
  const size_t rss_peak = ResidentBytes();
  ASSERT_TRUE(results.Wait(kAttempts, deadline + std::chrono::seconds(30)));
  const auto took = steady_clock::now() - start;
  EXPECT_LT(took, deadline + milliseconds(1000));
  for (const SendResult& r : results.results()) {
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
    EXPECT_GE(r.duration_ms, deadline.count() - 5);
    EXPECT_LT(r.duration_ms, deadline.count() + 1000);
  }
  EXPECT_EQ(sender_->in_flight(), 0u);
  const size_t per_attempt = (rss_peak > rss_before ? rss_peak - rss_before : 0) / kAttempts;
  RecordProperty("resident_bytes_per_attempt", static_cast<int>(per_attempt));
  std::printf(
      "[ info ] %d attempts in flight: %zu resident bytes per attempt, all ended in %lld ms\n",
      kAttempts, per_attempt,
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(took).count()));
  EXPECT_LT(per_attempt, 64u * 1024);
}

TEST_F(AsyncHttpSenderTest, StopEndsQueuedAndRunningAttemptsAndRefusesNewOnes) {
  HoldingListener hold;
  AsyncHttpSenderOptions options;
  options.max_in_flight = 20;
  AsyncHttpSender sender(io_.io(), guard_, "hookd/test", options);
  const std::string url = "http://127.0.0.1:" + std::to_string(hold.port()) + "/";
  Results results;
  for (int i = 0; i < 30; ++i)
    sender.SendAsync(SampleRequest(url), milliseconds(10000), results.Callback(i));
  ASSERT_TRUE(WaitUntil([&] { return hold.accepted() == 20; }, milliseconds(5000)));
  EXPECT_EQ(sender.queued(), 10u);
  const auto start = steady_clock::now();
  sender.Stop();
  ASSERT_TRUE(results.Wait(30, milliseconds(2000)));
  EXPECT_LT(steady_clock::now() - start, milliseconds(1000));
  for (const SendResult& r : results.results()) {
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("stopping"), std::string::npos) << r.error;
  }
  EXPECT_EQ(hold.accepted(), 20);  // the queued ones never connected
  EXPECT_EQ(sender.in_flight(), 0u);
  EXPECT_EQ(sender.queued(), 0u);

  bool called = false;
  sender.SendAsync(SampleRequest(url), milliseconds(1000), [&](SendResult r) {
    called = true;
    EXPECT_NE(r.error.find("stopping"), std::string::npos) << r.error;
  });
  EXPECT_TRUE(called);
}

// --- TLS -----------------------------------------------------------------------------------

// A throwaway CA, and certificates for a local TLS receiver, made with the openssl command.
class TestPki {
 public:
  TestPki() {
    const std::string d = dir_.path();
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    Run("openssl req -x509" + key + " -keyout " + d + "/ca.key -out " + d +
        "/ca.pem -days 2 -subj '/CN=hookd test CA'" +
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
    Issue("server", "DNS:localhost,IP:127.0.0.1");
    Issue("other", "DNS:other.example");
    // Self-signed, for localhost, by nobody the sender trusts.
    Run("openssl req -x509" + key + " -keyout " + d + "/untrusted.key -out " + d +
        "/untrusted.pem -days 2 -subj '/CN=localhost' -addext subjectAltName=DNS:localhost");
  }
  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

 private:
  static void Run(const std::string& cmd) {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) {
      throw std::runtime_error("failed: " + cmd);
    }
  }
  void Issue(const std::string& name, const std::string& san) {
    const std::string d = dir_.path();
    std::ofstream(d + "/" + name + ".ext")
        << "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=" << san << "\n";
    Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d + "/" +
        name + ".key -out " + d + "/" + name + ".csr -subj '/CN=" + name + "'");
    Run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/ca.pem -CAkey " + d +
        "/ca.key -CAcreateserial -days 2 -out " + d + "/" + name + ".pem -extfile " + d + "/" +
        name + ".ext");
  }
  testing::TempDir dir_{"hookd-pki"};
};

// An httplib::SSLServer on 127.0.0.1 with the given certificate; records the SNI of each
// handshake and the requests.
class TlsReceiver {
 public:
  TlsReceiver(const std::string& cert, const std::string& key)
      : server_([this, cert, key](SSL_CTX& ctx) {
          SSL_CTX_set_tlsext_servername_callback(&ctx, &TlsReceiver::OnServerName);
          SSL_CTX_set_tlsext_servername_arg(&ctx, this);
          return SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) == 1 &&
                 SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) == 1;
        }) {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_timeout(1);  // stop() waits for idle keep-alive connections
    server_.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      ports_.insert(req.remote_port);
      res.set_content("{\"tls\":true}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~TlsReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(port_) + "/ok";
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ports_.size();
  }
  std::vector<std::string> server_names() const {
    std::lock_guard<std::mutex> lock(mu_);
    return server_names_;
  }

 private:
  static int OnServerName(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TlsReceiver*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard<std::mutex> lock(self->mu_);
    self->server_names_.emplace_back(name ? name : "");
    return SSL_TLSEXT_ERR_OK;
  }

  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  int requests_ = 0;
  std::set<int> ports_;
  std::vector<std::string> server_names_;
};

class AsyncHttpSenderTlsTest : public AsyncHttpSenderTest {
 protected:
  AsyncHttpSender& TrustingSender() {
    if (!trusting_) {
      AsyncHttpSenderOptions options;
      options.extra_ca_file = pki_.path("ca.pem");
      trusting_ = std::make_unique<AsyncHttpSender>(io_.io(), guard_, "hookd/test", options);
    }
    return *trusting_;
  }

  // Made once, by the first TLS test, for all of them.
  static TestPki& Pki() {
    static TestPki pki;
    return pki;
  }

  TestPki& pki_ = Pki();
  std::unique_ptr<AsyncHttpSender> trusting_;
};

TEST_F(AsyncHttpSenderTlsTest, VerifiedTlsWithSniAndKeepAlive) {
  TlsReceiver tls(pki_.path("server.pem"), pki_.path("server.key"));
  AsyncHttpSender& sender = TrustingSender();
  for (int i = 0; i < 3; ++i) {
    SendResult r = Send(sender, SampleRequest(tls.Url("localhost")), milliseconds(2000));
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, R"({"tls":true})");
  }
  EXPECT_EQ(tls.requests(), 3);
  EXPECT_EQ(tls.connections(), 1u);  // one handshake, reused
  EXPECT_EQ(tls.server_names(), std::vector<std::string>{"localhost"});
  EXPECT_EQ(sender.IdleConnections(), 1u);
  sender.Stop();  // closes the idle connection before the receiver stops
}

TEST_F(AsyncHttpSenderTlsTest, IpLiteralIsVerifiedAgainstTheIpSanWithoutSni) {
  TlsReceiver tls(pki_.path("server.pem"), pki_.path("server.key"));
  SendResult r = Send(TrustingSender(), SampleRequest(tls.Url("127.0.0.1")), milliseconds(2000));
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(tls.server_names(), std::vector<std::string>{""});
  TrustingSender().Stop();
}

TEST_F(AsyncHttpSenderTlsTest, UntrustedCertificateFailsVerification) {
  TlsReceiver tls(pki_.path("untrusted.pem"), pki_.path("untrusted.key"));
  SendResult r = Send(TrustingSender(), SampleRequest(tls.Url("localhost")), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS certificate verification failed for 127.0.0.1 port"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(tls.requests(), 0);
}

TEST_F(AsyncHttpSenderTlsTest, CertificateForAnotherNameFailsVerification) {
  TlsReceiver tls(pki_.path("other.pem"), pki_.path("other.key"));
  SendResult r = Send(TrustingSender(), SampleRequest(tls.Url("localhost")), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS certificate verification failed"), std::string::npos) << r.error;
  EXPECT_EQ(tls.requests(), 0);
}

TEST_F(AsyncHttpSenderTlsTest, PrivateCaIsNotTrustedByDefault) {
  TlsReceiver tls(pki_.path("server.pem"), pki_.path("server.key"));
  SendResult r = Send(*sender_, SampleRequest(tls.Url("localhost")), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS certificate verification failed"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace hookd
