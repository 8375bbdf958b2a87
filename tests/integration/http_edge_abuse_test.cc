// The HTTP edge against clients that ask and do not read (issue: hardening, second pass): a
// pipelining client that keeps sending while its answer waits cannot grow memory, and a client
// that does not read its answer loses its connection at the write deadline, so such clients
// cannot hold every connection slot. Real server on port 0; memory is this process's RSS.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/http_errors.h"
#include "common/http_server.h"
#include "tests/testing/process_stats.h"
#include "tests/testing/raw_client.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;

constexpr size_t kBigBytes = 8 << 20;  // far more than the kernel's socket buffers take
constexpr char kGetBig[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr char kHealth[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

class HttpEdgeAbuseTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    router_.Add("GET", "/healthz", Access::kPublic, SyncHandler([](HttpRequest&) {
                  return JsonResponse(200, {{"status", "ok"}});
                }));
    router_.Add("GET", "/big", Access::kPublic, SyncHandler([](HttpRequest&) {
                  HttpResponse r;
                  r.content_type = "text/plain";
                  r.body.assign(kBigBytes, 'b');
                  return r;
                }));
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, router_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  uint16_t port() { return server_->port(); }

  Router router_;
  std::unique_ptr<HttpServer> server_;
};

// Sends up to `total` bytes in 64 KiB pieces; returns how many went before the peer closed or
// stopped taking them for two seconds.
size_t SendUntilRefused(RawClient& c, size_t total) {
  timeval two_seconds{2, 0};
  ::setsockopt(c.fd(), SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof two_seconds);
  const std::string junk(64 * 1024, 'j');
  size_t sent = 0;
  while (sent < total) {
    ssize_t n = ::send(c.fd(), junk.data(), junk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  return sent;
}

TEST_F(HttpEdgeAbuseTest, ReproducesMemoryCrashPipelinedBytesWhileAnAnswerWaitsAreBounded) {
  HttpServerOptions o;
  o.max_body_bytes = 1 << 20;
  o.write_timeout = std::chrono::hours(1);  // only the input bound is under test here
  Start(o);
  const size_t rss_before = testing::ResidentBytes();
  // A 4 KiB window, 30 pipelined requests for a large answer, never a read, then bytes on and on.
  RawClient c(port(), 4096);
  ASSERT_TRUE(c.connected());
  std::string pipelined;
  for (int i = 0; i < 30; ++i) pipelined += kGetBig;
  ASSERT_TRUE(c.Send(pipelined));
  std::this_thread::sleep_for(milliseconds(200));  // the first answer is pending now
  constexpr size_t kOffered = 256u << 20;
  const size_t sent = SendUntilRefused(c, kOffered);
  const size_t grown = testing::ResidentBytes() - std::min(rss_before, testing::ResidentBytes());
  std::cout << "# " << (sent >> 20) << " MiB taken of " << (kOffered >> 20) << " offered; RSS grew "
            << (grown >> 20) << " MiB\n";
  // Before the fix every byte sent stayed in the framer: RSS grew with `sent` (256 MiB).
  EXPECT_LT(sent, kOffered) << "the server took every byte offered";
  EXPECT_LT(grown, size_t{64} << 20) << "RSS grew by " << grown << " bytes for " << sent << " sent";
  // The server is still serving others.
  RawClient other(port());
  ASSERT_TRUE(other.Send(kHealth));
  EXPECT_EQ(other.Read(milliseconds(2000), 12).rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(HttpEdgeAbuseTest, AClientThatDoesNotReadItsAnswerIsClosedAtTheWriteDeadline) {
  HttpServerOptions o;
  o.write_timeout = milliseconds(500);
  o.keepalive_timeout = std::chrono::minutes(5);  // not the keep-alive timeout closing it
  Start(o);
  RawClient c(port(), 4096);
  ASSERT_TRUE(c.Send(kGetBig));
  std::this_thread::sleep_for(milliseconds(2000));  // not reading, past the write deadline
  const std::string got = c.Read(milliseconds(3000));
  EXPECT_TRUE(c.closed());
  EXPECT_LT(got.size(), kBigBytes) << "the whole answer was written to a client that did not read";
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(HttpEdgeAbuseTest, ReproducesSlotsHeldClientsThatDoNotReadFreeTheirSlots) {
  HttpServerOptions o;
  o.max_connections = 8;
  o.write_timeout = milliseconds(4000);  // room for the refusal below on a loaded machine
  o.keepalive_timeout = std::chrono::minutes(5);
  Start(o);
  std::vector<std::unique_ptr<RawClient>> stuck;
  // Each takes a slot and gets the start of its answer. On a loaded machine a slot can still be
  // held for a moment by a connection the server has not yet seen close (one refused here reads
  // 503 at once): that client is replaced.
  for (int tries = 0; stuck.size() < 8 && tries < 40; ++tries) {
    auto c = std::make_unique<RawClient>(port(), 4096);
    ASSERT_TRUE(c->Send(kGetBig));
    if (c->Read(milliseconds(2000), 12).rfind("HTTP/1.1 200", 0) == 0) {
      stuck.push_back(std::move(c));
    } else {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ASSERT_EQ(stuck.size(), 8u);
  const auto sent = std::chrono::steady_clock::now();  // every stuck answer is being written
  // Every slot is held once the server has taken the eight (on a loaded machine that can take a
  // moment): a new client is refused.
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() - sent < milliseconds(3000)) {
    RawClient probe(port());
    refused = probe.Read(milliseconds(500)).rfind("HTTP/1.1 503", 0) == 0;
  }
  EXPECT_TRUE(refused) << "a ninth client was not refused while eight held every slot";
  // Past the write deadline (checked every 100 ms) the stuck ones are gone and a new client is
  // served, while the stuck clients have read no more than their answers' first bytes.
  std::this_thread::sleep_until(sent + milliseconds(5000));
  RawClient fresh(port());
  ASSERT_TRUE(fresh.Send(kHealth));
  EXPECT_EQ(fresh.Read(milliseconds(2000), 12).rfind("HTTP/1.1 200", 0), 0u);
}

}  // namespace
}  // namespace hookd
