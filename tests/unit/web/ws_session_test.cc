// WsSession over real loopback sockets on an io_context driven by the test (no sleeps): a client
// that stops reading is dropped, and once it reads again it gets what was in flight and then the
// close frame README.md documents: code 1013 (try again later), reason slow_consumer.
#include "web/ws_session.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>

#include "common/metrics.h"
#include "tests/unit/web/fake_status_source.h"
#include "tests/unit/web/loopback_sockets.h"

namespace hookd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

class WsSessionTest : public ::testing::Test {
 protected:
  WsSessionTest() : hub(source) {
    limits.max_queue_bytes = 16 * 1024;
    limits.send_buffer_bytes = 4096;
    limits.drop_grace = std::chrono::seconds(30);  // the tests read again long before
    ctx = std::make_unique<StreamContext>(
        hub, metrics, [](const HttpRequest&) { return Status::Ok(); }, std::vector<std::string>{},
        limits);
    EXPECT_TRUE(hub.PollOnce().ok());
  }

  // Runs the io_context until `done()` or about `limit` has passed.
  void RunUntil(const std::function<bool()>& done, milliseconds limit = milliseconds(10'000)) {
    for (auto waited = milliseconds(0); waited < limit && !done(); waited += milliseconds(10))
      ioc.run_for(milliseconds(10));
  }

  // A client (small receive buffer) upgraded to a WsSession fed from the start of the log, as
  // the stream listener hands the upgrade request over.
  void Connect() {
    auto [socket, server] = testing::LoopbackPair(ioc, 4096, limits.send_buffer_bytes);
    client = std::make_unique<websocket::stream<tcp::socket>>(std::move(socket));

    auto stream = std::make_shared<beast::tcp_stream>(std::move(server));
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::empty_body>>();
    http::async_read(
        *stream, *buffer, *req, [this, stream, buffer, req](const beast::error_code& ec, size_t) {
          ASSERT_FALSE(ec) << ec.message();
          StreamQuery query;
          query.after = 0;
          auto session =
              WsSession::Create(std::move(*stream), *ctx, std::move(query), ConnectionSlot());
          session->Start(std::move(*req));
        });
    bool upgraded = false;
    client->async_handshake("127.0.0.1", "/api/v1/ws?after=0", [&](const beast::error_code& ec) {
      EXPECT_FALSE(ec) << ec.message();
      upgraded = true;
    });
    RunUntil([&] { return upgraded; });
    ASSERT_TRUE(upgraded);
  }

  // Appends `n` entries of about `size` bytes each and lets the hub and the session run.
  void Publish(int n, size_t size) {
    for (int i = 0; i < n; ++i)
      source.Append("message.created",
                    {{"message_id", "msg_" + std::to_string(i)}, {"pad", std::string(size, 'p')}});
    ASSERT_TRUE(hub.PollOnce().ok());
    ioc.run_for(milliseconds(20));
  }

  FakeStatusSource source;
  StatusHub hub;
  Metrics metrics;
  StreamLimits limits;
  std::unique_ptr<StreamContext> ctx;
  // Last, so they are destroyed first: the sessions the handlers own use everything above.
  asio::io_context ioc;
  std::unique_ptr<websocket::stream<tcp::socket>> client;
};

TEST_F(WsSessionTest, AClientThatStopsReadingIsClosedWith1013SlowConsumer) {
  Connect();
  auto& dropped = ctx->dropped("slow_consumer");
  // The client reads nothing: kernel buffers fill, then the session's queue, then it is dropped.
  for (int round = 0; round < 200 && dropped.Value() == 0; ++round) Publish(20, 1000);
  ASSERT_EQ(dropped.Value(), 1);
  EXPECT_EQ(hub.subscriber_count(), 0u) << "detached at once";

  // Reading again (within the drop grace): the entries the kernel and the write in flight held,
  // then the close frame.
  beast::flat_buffer buffer;
  beast::error_code ended;
  bool done = false;
  int messages = 0;
  std::function<void()> read_next = [&] {
    client->async_read(buffer, [&](const beast::error_code& ec, size_t) {
      if (ec) {
        ended = ec;
        done = true;
        return;
      }
      ++messages;
      buffer.consume(buffer.size());
      read_next();
    });
  };
  read_next();
  RunUntil([&] { return done; });
  ASSERT_TRUE(done) << "the session never closed";
  EXPECT_GT(messages, 0);
  EXPECT_EQ(ended, websocket::error::closed) << ended.message();
  EXPECT_EQ(client->reason().code, 1013) << "try again later; reason " << client->reason().reason;
  EXPECT_EQ(client->reason().reason, "slow_consumer");
}

}  // namespace
}  // namespace hookd
