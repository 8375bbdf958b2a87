#include "web/sse_session.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

namespace hookd {
namespace {

const Frame& PingFrame() {
  static const Frame ping = std::make_shared<const std::string>(": ping\n\n");
  return ping;
}

}  // namespace

std::shared_ptr<SseSession> SseSession::Create(
    boost::asio::ip::tcp::socket socket, const StreamContext& ctx, StreamQuery query,
    std::vector<std::pair<std::string, std::string>> head_headers, ConnectionSlot slot) {
  return std::shared_ptr<SseSession>(new SseSession(std::move(socket), ctx, std::move(query),
                                                    std::move(head_headers), std::move(slot)));
}

SseSession::SseSession(boost::asio::ip::tcp::socket socket, const StreamContext& ctx,
                       StreamQuery query,
                       std::vector<std::pair<std::string, std::string>> head_headers,
                       ConnectionSlot slot)
    : StreamSession(ctx, socket.get_executor(), std::move(query.filter), ctx.sse_sent),
      socket_(std::move(socket)),
      after_(query.after),
      head_headers_(std::move(head_headers)),
      slot_(std::move(slot)),
      ping_timer_(socket_.get_executor()) {
  ctx_.sse_clients.Increment();
}

SseSession::~SseSession() { ctx_.sse_clients.Decrement(); }

void SseSession::Start() {
  // The body runs until the connection closes: no Content-Length, no chunking, Connection: close.
  // X-Accel-Buffering: no keeps nginx from holding events back.
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: no-cache, no-transform\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: close\r\n";
  for (const auto& [name, value] : head_headers_) head += name + ": " + value + "\r\n";
  head += "\r\nretry: 2000\n\n";
  QueueControl(std::make_shared<const std::string>(std::move(head)), /*force=*/true);
  BeginFeed(after_);
  SchedulePing();
  ReadUntilClosed();
}

void SseSession::WriteFrames(const std::vector<boost::asio::const_buffer>& frames) {
  boost::asio::async_write(
      socket_, frames, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
        self->OnWriteDone(ec);
      });
}

void SseSession::SchedulePing() {
  ping_timer_.expires_after(ctx_.limits.ping_interval);
  ping_timer_.async_wait([self = std::static_pointer_cast<SseSession>(shared_from_this())](
                             const boost::system::error_code& ec) {
    if (ec || self->stopped()) return;
    // A write that made no progress for a whole interval: the client is not reading at all.
    if (self->writing() && self->writes_done() == self->writes_at_last_ping_) {
      self->Drop("write_stalled");
      return;
    }
    self->writes_at_last_ping_ = self->writes_done();
    if (!self->QueueControl(PingFrame(), /*force=*/false)) {
      self->Drop("slow_consumer");
      return;
    }
    self->SchedulePing();
  });
}

// An SSE client sends nothing after its request; a read completes when it goes away.
void SseSession::ReadUntilClosed() {
  socket_.async_read_some(boost::asio::buffer(discard_),
                          [self = std::static_pointer_cast<SseSession>(shared_from_this())](
                              const boost::system::error_code& ec, size_t) {
                            if (ec) {
                              self->Stop();
                              return;
                            }
                            if (!self->stopped()) self->ReadUntilClosed();
                          });
}

void SseSession::CloseTransport(const std::optional<std::string>&) {
  boost::system::error_code ignored;
  ping_timer_.cancel();
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace hookd
