// SseSession over real loopback sockets on an io_context driven by the test (no sleeps): the
// stream's bytes, and the bounded queue dropping a client that stopped reading.
#include "web/sse_session.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>

#include "common/metrics.h"
#include "tests/unit/web/fake_status_source.h"
#include "tests/unit/web/loopback_sockets.h"

namespace hookd {
namespace {

namespace asio = boost::asio;
using testing::ReadAvailable;
using tcp = asio::ip::tcp;

class SseSessionTest : public ::testing::Test {
 protected:
  SseSessionTest() : hub(source) {
    limits.max_queue_bytes = 16 * 1024;
    limits.send_buffer_bytes = 4096;
    limits.drop_grace = std::chrono::milliseconds(50);
    ctx = std::make_unique<StreamContext>(
        hub, metrics, [](const HttpRequest&) { return Status::Ok(); }, std::vector<std::string>{},
        limits);
    EXPECT_TRUE(hub.PollOnce().ok());
  }

  // A connected pair: the client end (small receive buffer) and a started SseSession.
  tcp::socket Connect(StreamQuery query) {
    auto [client, server] = testing::LoopbackPair(ioc, 4096, limits.send_buffer_bytes);
    auto session =
        SseSession::Create(std::move(server), *ctx, std::move(query), {}, ConnectionSlot());
    asio::post(ioc, [session] { session->Start(); });
    ioc.run_for(std::chrono::milliseconds(20));
    return std::move(client);
  }

  // Appends `n` entries of about `size` bytes each and lets the hub and the session run.
  void Publish(int n, size_t size) {
    for (int i = 0; i < n; ++i)
      source.Append("message.created",
                    {{"message_id", "msg_" + std::to_string(i)}, {"pad", std::string(size, 'p')}});
    ASSERT_TRUE(hub.PollOnce().ok());
    ioc.run_for(std::chrono::milliseconds(20));
  }

  FakeStatusSource source;
  StatusHub hub;
  Metrics metrics;
  StreamLimits limits;
  std::unique_ptr<StreamContext> ctx;
  // Last, so it is destroyed first: the sessions its handlers own use everything above.
  asio::io_context ioc;
};

TEST_F(SseSessionTest, WritesTheHeadRetryAndOneBlockPerEntryResumingAfterTheGivenSeq) {
  source.Append("message.created");  // 1
  source.Append("message.created");  // 2
  ASSERT_TRUE(hub.PollOnce().ok());
  StreamQuery q;
  q.after = 1;
  tcp::socket client = Connect(q);
  Publish(1, 3);  // 3
  std::string got = ReadAvailable(client);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos);
  size_t body = got.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(got.substr(body + 4, 13), "retry: 2000\n\n");
  EXPECT_EQ(got.find("id: 1\n"), std::string::npos) << "resumed after 1";
  size_t two = got.find("id: 2\nevent: message.created\ndata: {");
  size_t three = got.find("id: 3\nevent: message.created\ndata: {");
  ASSERT_NE(two, std::string::npos) << got;
  ASSERT_NE(three, std::string::npos) << got;
  EXPECT_LT(two, three);
  EXPECT_EQ(ctx->sse_clients.Value(), 1);
}

TEST_F(SseSessionTest, AReadIsOneBufferForAnUnfilteredClientAndItsOwnEntriesForAFilteredOne) {
  tcp::socket all = Connect({});
  StreamQuery failed_only;
  failed_only.filter.types = {"delivery.failed"};
  tcp::socket filtered = Connect(failed_only);
  ReadAvailable(all);
  ReadAvailable(filtered);
  for (int i = 0; i < 3; ++i) {
    source.Append("message.created");  // 1, 3, 5
    source.Append("delivery.failed");  // 2, 4, 6
  }
  ASSERT_TRUE(hub.PollOnce().ok());  // one batch of six
  ioc.run_for(std::chrono::milliseconds(20));
  std::string got_all = ReadAvailable(all);
  std::string got_filtered = ReadAvailable(filtered);
  size_t at = 0;
  for (int seq = 1; seq <= 6; ++seq) {
    size_t next = got_all.find("id: " + std::to_string(seq) + "\n", at);
    ASSERT_NE(next, std::string::npos) << seq << ": " << got_all;
    at = next;
  }
  EXPECT_EQ(got_filtered.find("message.created"), std::string::npos) << got_filtered;
  size_t two = got_filtered.find("id: 2\nevent: delivery.failed\ndata: {");
  size_t four = got_filtered.find("id: 4\nevent: delivery.failed\ndata: {");
  size_t six = got_filtered.find("id: 6\nevent: delivery.failed\ndata: {");
  ASSERT_NE(two, std::string::npos) << got_filtered;
  ASSERT_NE(four, std::string::npos) << got_filtered;
  ASSERT_NE(six, std::string::npos) << got_filtered;
  EXPECT_LT(two, four);
  EXPECT_LT(four, six);
  EXPECT_EQ(ctx->sse_sent.Value(), 9) << "6 entries to one client, 3 to the other";
}

TEST_F(SseSessionTest, AClientThatStopsReadingIsDroppedAndMemoryStaysBounded) {
  tcp::socket client = Connect({});
  auto& dropped = ctx->dropped("slow_consumer");
  // The client reads nothing: kernel buffers fill, then the session's queue, then it is dropped.
  for (int round = 0; round < 200 && dropped.Value() == 0; ++round) Publish(20, 1000);
  EXPECT_EQ(dropped.Value(), 1);
  EXPECT_EQ(hub.subscriber_count(), 0u) << "detached at once";
  ioc.run_for(std::chrono::milliseconds(100));  // past the drop grace
  // Publishing more costs the dropped client nothing.
  Publish(20, 1000);
  // Reading now drains what the kernel held, then the connection ends.
  client.non_blocking(false);
  boost::system::error_code ec;
  std::string rest;
  char buf[65536];
  while (!ec) {
    size_t n = client.read_some(asio::buffer(buf), ec);
    rest.append(buf, n);
  }
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  ioc.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ctx->sse_clients.Value(), 0) << "the session is gone";
}

// README.md documents how the stream of a dropped client ends: once it reads again (within the
// drop grace) it gets what was held for it and then the comment `: dropped slow_consumer`.
TEST_F(SseSessionTest, ADroppedClientThatReadsAgainGetsTheDroppedSlowConsumerCommentLast) {
  limits.drop_grace = std::chrono::seconds(30);  // the test reads again long before
  ctx = std::make_unique<StreamContext>(
      hub, metrics, [](const HttpRequest&) { return Status::Ok(); }, std::vector<std::string>{},
      limits);
  tcp::socket client = Connect({});
  auto& dropped = ctx->dropped("slow_consumer");
  for (int round = 0; round < 200 && dropped.Value() == 0; ++round) Publish(20, 1000);
  ASSERT_EQ(dropped.Value(), 1);

  std::string got;
  boost::system::error_code ended;
  client.non_blocking(true);
  char buf[65536];
  for (int i = 0; i < 1000 && !ended; ++i) {
    boost::system::error_code ec;
    size_t n = client.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
    if (ec == asio::error::would_block)
      ioc.run_for(std::chrono::milliseconds(10));
    else if (ec)
      ended = ec;
  }
  EXPECT_EQ(ended, asio::error::eof) << ended.message();
  const std::string farewell = ": dropped slow_consumer\n\n";
  ASSERT_GE(got.size(), farewell.size());
  EXPECT_EQ(got.substr(got.size() - farewell.size()), farewell)
      << "the stream ends with: " << got.substr(got.size() > 200 ? got.size() - 200 : 0);
}

}  // namespace
}  // namespace hookd
