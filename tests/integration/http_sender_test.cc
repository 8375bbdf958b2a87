// HttpSender against in-process receivers on 127.0.0.1: an httplib::Server, and a raw socket
// listener for the misbehaviours httplib's server cannot produce (trickled headers, a
// keep-alive connection closed right after its response).
#include "deliver/http_sender.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "deliver/ip_address.h"
#include "deliver/ssrf_guard.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;

// "localhost" and "127.0.0.1" are 127.0.0.1; nothing else resolves.
class FakeResolver final : public Resolver {
 public:
  Result<std::vector<IpAddress>> Resolve(const std::string& host) override {
    ++calls;
    if (host == "localhost" || host == "127.0.0.1") return std::vector<IpAddress>{Loopback()};
    return Status(ErrorKind::kInvalidField, "unresolvable_host", "no such host: " + host);
  }
  static IpAddress Loopback() {
    IpAddress a;
    a.bytes[0] = 127;
    a.bytes[3] = 1;
    return a;
  }
  std::atomic<int> calls{0};
};

// An httplib::Server on 127.0.0.1, port 0, that records what it receives.
class Receiver {
 public:
  Receiver() {
    server_.set_keep_alive_max_count(1000);
    // Without it httplib's server writes headers and body in two segments and Nagle plus
    // delayed ACKs add ~40 ms to every response on a kept-alive connection.
    server_.set_tcp_nodelay(true);
    server_.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_header("X-Receiver", "yes");
      res.set_content("{\"received\":true}", "application/json");
    });
    server_.Post("/fail", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 500;
      res.set_content("boom", "text/plain");
    });
    server_.Post("/redirect", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_redirect("/ok", 302);
    });
    server_.Post("/limited", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 429;
      res.set_header("Retry-After", "7");
    });
    server_.Post("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      std::unique_lock<std::mutex> lock(mu_);
      released_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return released_; });
      res.set_content("late", "text/plain");
    });
    server_.Post("/trickle", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(milliseconds(20));
        return !Released() && sink.write("x", 1);
      });
    });
    server_.Post("/huge", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      static const std::string chunk(64 * 1024, 'a');
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= (size_t{1} << 30)) {
          sink.done();
          return true;
        }
        return sink.write(chunk.data(), chunk.size());
      });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }

  ~Receiver() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string Url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }

  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(requests_.size());
  }
  httplib::Request last() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.back();
  }
  std::set<int> remote_ports() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<int> ports;
    for (const auto& r : requests_) ports.insert(r.remote_port);
    return ports;
  }

 private:
  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
  }
  bool Released() {
    std::lock_guard<std::mutex> lock(mu_);
    return released_;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::vector<httplib::Request> requests_;
};

// A TCP listener on 127.0.0.1 that hands each accepted connection to `serve`, one at a time.
class RawListener {
 public:
  explicit RawListener(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("listen failed");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int conn = ::accept(fd_, nullptr, nullptr);
        if (conn < 0) return;
        ++accepted_;
        serve_(conn);
        ::close(conn);
      }
    });
  }
  ~RawListener() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  bool stopping() const { return stopping_; }

  // Reads one request (headers and a content-length body); false on EOF or error.
  static bool ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    size_t content_length = 0;
    std::string lower = data.substr(0, header_end);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower.find("content-length:");
    if (at != std::string::npos) content_length = std::stoul(lower.substr(at + 15));
    while (data.size() < header_end + 4 + content_length) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  static bool Write(int fd, const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }

 private:
  std::function<void(int)> serve_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

class HttpSenderTest : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  OutboundRequest Request(const std::string& url, const std::string& endpoint_id = "ep_1") {
    Result<EndpointUrl> parsed = ParseEndpointUrl(url);
    EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().ToString();
    OutboundRequest r;
    r.endpoint_id = endpoint_id;
    if (parsed.ok()) r.url = parsed.value();
    r.headers = {{"webhook-id", "msg_1"},
                 {"webhook-timestamp", "1700000000"},
                 {"webhook-signature", "v1,c2lnbmF0dXJl"}};
    r.body = R"({"type":"user.created","data":{"id":1}})";
    return r;
  }

  // `threads` threads each send `sends` requests to `url` through `sender`; how many got 200.
  int SendConcurrently(HttpSender& sender, const std::string& url, int threads, int sends) {
    std::atomic<int> ok{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = 0; i < sends; ++i) {
          ok += sender.Send(Request(url), milliseconds(2000)).status == 200;
        }
      });
    }
    for (auto& t : pool) t.join();
    return ok;
  }

  // Declared before the sender so that the sender (and its pooled connections) goes first.
  Receiver receiver_;
  FakeResolver resolver_;
  SsrfGuard guard_{resolver_, /*allow_private=*/true};
  std::unique_ptr<HttpSender> sender_ = std::make_unique<HttpSender>(guard_, "hookd/test");
};

TEST_F(HttpSenderTest, DeliversBodyAndHeadersAndReadsTheResponse) {
  SendResult r = sender_->Send(Request(receiver_.Url("/ok", "localhost")), milliseconds(2000));
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
  OutboundRequest req = Request(receiver_.Url("/ok"));
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
  SendResult r = sender_->Send(Request(receiver_.Url("/fail")), milliseconds(2000));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "boom");
  EXPECT_TRUE(r.error.empty());
}

TEST_F(HttpSenderTest, RedirectIsNotFollowed) {
  SendResult r = sender_->Send(Request(receiver_.Url("/redirect")), milliseconds(2000));
  EXPECT_EQ(r.status, 302);
  EXPECT_TRUE(r.error.empty());
  ASSERT_EQ(receiver_.requests(), 1);
  EXPECT_EQ(receiver_.last().path, "/redirect");
}

TEST_F(HttpSenderTest, RetryAfterIsReported) {
  SendResult r = sender_->Send(Request(receiver_.Url("/limited")), milliseconds(2000));
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, "7");
}

TEST_F(HttpSenderTest, SlowReceiverTimesOutAtTheDeadline) {
  const milliseconds deadline(300);
  SendResult r = sender_->Send(Request(receiver_.Url("/slow")), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_GE(r.duration_ms, deadline.count() - 50);
  EXPECT_LT(r.duration_ms, deadline.count() + 1000);
  EXPECT_EQ(sender_->IdleConnections(), 0u);
}

TEST_F(HttpSenderTest, TrickledBodyIsCutAtTheDeadline) {
  const milliseconds deadline(300);
  SendResult r = sender_->Send(Request(receiver_.Url("/trickle")), deadline);
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
  SendResult r = sender_->Send(Request(url), deadline);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
  EXPECT_LT(r.duration_ms, deadline.count() + 1000);
}

TEST_F(HttpSenderTest, HugeBodyIsCappedAndMemoryStaysFlat) {
  const size_t rss_before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  SendResult r = sender_->Send(Request(receiver_.Url("/huge")), milliseconds(5000));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.body.size(), HttpSender::kMaxBodyKept);
  EXPECT_EQ(r.body, std::string(HttpSender::kMaxBodyKept, 'a'));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_LT(ResidentBytes(), rss_before + 100 * 1024 * 1024);
  // The rest of the body is still on that connection: it is not reused.
  EXPECT_EQ(sender_->IdleConnections(), 0u);
  SendResult next = sender_->Send(Request(receiver_.Url("/ok")), milliseconds(2000));
  EXPECT_EQ(next.status, 200) << next.error;
}

TEST_F(HttpSenderTest, SequentialSendsReuseOneConnection) {
  for (int i = 0; i < 50; ++i) {
    SendResult r = sender_->Send(Request(receiver_.Url("/ok")), milliseconds(2000));
    ASSERT_EQ(r.status, 200) << "send " << i << ": " << r.error;
  }
  EXPECT_EQ(receiver_.requests(), 50);
  EXPECT_LE(receiver_.remote_ports().size(), 2u);
  EXPECT_EQ(sender_->IdleConnections(), 1u);
}

TEST_F(HttpSenderTest, ConcurrentSendsShareABoundedPool) {
  constexpr int kThreads = 8, kSends = 25;
  EXPECT_EQ(SendConcurrently(*sender_, receiver_.Url("/ok"), kThreads, kSends), kThreads * kSends);
  // The pool keeps as many idle clients per endpoint as there are concurrent senders here, so
  // no connection is closed and reopened: one per thread at most.
  EXPECT_LE(receiver_.remote_ports().size(), static_cast<size_t>(kThreads));
  EXPECT_LE(sender_->IdleConnections(), HttpSender::kDefaultMaxIdlePerEndpoint);
}

TEST_F(HttpSenderTest, IdleClientsPerEndpointAreCapped) {
  HttpSender small(guard_, "hookd/test", 2);
  constexpr int kThreads = 6, kSends = 10;
  EXPECT_EQ(SendConcurrently(small, receiver_.Url("/ok"), kThreads, kSends), kThreads * kSends);
  EXPECT_GE(small.IdleConnections(), 1u);
  EXPECT_LE(small.IdleConnections(), 2u);
}

TEST_F(HttpSenderTest, ConnectionsArePooledPerEndpointAndUrl) {
  ASSERT_EQ(sender_->Send(Request(receiver_.Url("/ok"), "ep_a"), milliseconds(2000)).status, 200);
  ASSERT_EQ(sender_->Send(Request(receiver_.Url("/ok"), "ep_b"), milliseconds(2000)).status, 200);
  ASSERT_EQ(
      sender_->Send(Request(receiver_.Url("/ok", "localhost"), "ep_a"), milliseconds(2000)).status,
      200);
  // Same target, but per endpoint and per host: three connections.
  EXPECT_EQ(receiver_.remote_ports().size(), 3u);
  EXPECT_EQ(sender_->IdleConnections(), 3u);
  ASSERT_EQ(sender_->Send(Request(receiver_.Url("/ok"), "ep_b"), milliseconds(2000)).status, 200);
  EXPECT_EQ(receiver_.remote_ports().size(), 3u);
}

TEST_F(HttpSenderTest, ConnectionClosedByTheReceiverWhileIdleIsNotReused) {
  // Answers as if keeping the connection alive, then closes it.
  RawListener once([](int fd) {
    if (!RawListener::ReadRequest(fd)) return;
    RawListener::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(once.port()) + "/";
  SendResult first = sender_->Send(Request(url), milliseconds(2000));
  ASSERT_EQ(first.status, 200) << first.error;
  EXPECT_EQ(first.body, "ok");
  // Wait until the close has reached our socket.
  for (int i = 0; i < 200 && once.accepted() < 1; ++i) std::this_thread::sleep_for(milliseconds(1));
  std::this_thread::sleep_for(milliseconds(20));
  SendResult second = sender_->Send(Request(url), milliseconds(2000));
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(once.accepted(), 2);
}

TEST_F(HttpSenderTest, ForbiddenAddressIsRefusedWithoutConnecting) {
  SsrfGuard strict(resolver_, /*allow_private=*/false);
  HttpSender sender(strict, "hookd/test");
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    SendResult r = sender.Send(Request(receiver_.Url("/ok", host)), milliseconds(2000));
    EXPECT_EQ(r.status, 0);
    EXPECT_FALSE(r.error.empty());
  }
  EXPECT_EQ(receiver_.requests(), 0);
}

TEST_F(HttpSenderTest, UnresolvableHostIsAnError) {
  SendResult r = sender_->Send(Request("http://nowhere.invalid/"), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("nowhere.invalid"), std::string::npos) << r.error;
}

TEST_F(HttpSenderTest, RefusedConnectionIsAnError) {
  int port;
  {
    RawListener closed([](int) {});
    port = closed.port();
  }  // nothing listens there any more
  SendResult r =
      sender_->Send(Request("http://127.0.0.1:" + std::to_string(port) + "/"), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_LT(r.duration_ms, 2000);
}

TEST_F(HttpSenderTest, TlsToAPlainHttpReceiverFails) {
  const std::string url = "https://127.0.0.1:" + std::to_string(receiver_.port()) + "/ok";
  SendResult r = sender_->Send(Request(url), milliseconds(2000));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("TLS"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace hookd
