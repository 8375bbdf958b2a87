#include "web/ws_session.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace hookd {
namespace websocket = boost::beast::websocket;

namespace {

// RFC 6455 close codes: 1013 "try again later" for a client dropped for lagging (it resumes),
// 1008 "policy violation" for a bad first frame or a credential no longer valid, 1011 for a
// server-side failure.
websocket::close_code CloseCodeFor(const std::string& reason) {
  if (reason == "slow_consumer" || reason == "write_stalled")
    return websocket::close_code::try_again_later;
  if (reason == "bad_request" || reason == "unauthorized")
    return websocket::close_code::policy_error;
  return websocket::close_code::internal_error;
}

}  // namespace

std::shared_ptr<WsSession> WsSession::Create(boost::beast::tcp_stream stream,
                                             const StreamContext& ctx, StreamQuery query,
                                             ConnectionSlot slot) {
  return std::shared_ptr<WsSession>(
      new WsSession(std::move(stream), ctx, std::move(query), std::move(slot)));
}

WsSession::WsSession(boost::beast::tcp_stream stream, const StreamContext& ctx, StreamQuery query,
                     ConnectionSlot slot)
    : StreamSession(ctx, stream.get_executor(), std::move(query.filter), ctx.ws_sent),
      ws_(std::move(stream)),
      query_after_(query.after),
      slot_(std::move(slot)),
      resume_timer_(ws_.get_executor()) {
  ctx_.ws_clients.Increment();
}

WsSession::~WsSession() { ctx_.ws_clients.Decrement(); }

void WsSession::Start(boost::beast::http::request<boost::beast::http::empty_body> req) {
  // The websocket stream keeps its own timeouts; the HTTP read deadline must not linger.
  boost::beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = ctx_.limits.header_timeout;
  timeouts.idle_timeout = ctx_.limits.ping_interval * 2;
  timeouts.keep_alive_pings = true;  // a ping at half the idle timeout
  ws_.set_option(timeouts);
  ws_.read_message_max(4096);  // clients send one small resume frame at most
  ws_.text(true);
  ws_.async_accept(req, [self = std::static_pointer_cast<WsSession>(shared_from_this())](
                            const boost::system::error_code& ec) { self->OnAccept(ec); });
}

void WsSession::OnAccept(const boost::system::error_code& ec) {
  if (ec) {
    Stop();
    return;
  }
  upgrade_seq_ = ctx_.hub.last_seq();
  if (query_after_) {
    StartFeed(query_after_);
  } else {
    resume_timer_.expires_after(ctx_.limits.ws_resume_wait);
    resume_timer_.async_wait([self = std::static_pointer_cast<WsSession>(shared_from_this())](
                                 const boost::system::error_code& ec) {
      if (!ec) self->StartFeed(self->upgrade_seq_);
    });
  }
  ReadNext();
}

void WsSession::StartFeed(std::optional<int64_t> after) {
  if (feed_started_ || stopped()) return;
  feed_started_ = true;
  resume_timer_.cancel();
  BeginFeed(after);
}

// Always one read outstanding: it also answers pings and the close handshake.
void WsSession::ReadNext() {
  ws_.async_read(read_buffer_, [self = std::static_pointer_cast<WsSession>(shared_from_this())](
                                   const boost::system::error_code& ec, size_t) {
    if (ec) {
      self->Stop();
      return;
    }
    self->OnMessage();
    if (!self->stopped()) self->ReadNext();
  });
}

void WsSession::OnMessage() {
  std::string text = boost::beast::buffers_to_string(read_buffer_.data());
  read_buffer_.consume(read_buffer_.size());
  if (feed_started_) return;  // only the first frame means something
  auto msg = nlohmann::json::parse(text, nullptr, false);
  const nlohmann::json* after = nullptr;
  if (msg.is_object() && msg.contains("after")) after = &msg["after"];
  if (after && after->is_number_integer() && after->get<int64_t>() >= 0) {
    StartFeed(after->get<int64_t>());
    return;
  }
  feed_started_ = true;  // no feed for this client
  resume_timer_.cancel();
  Drop("bad_request");
}

// One entry per message (MaxFramesPerWrite is 1).
void WsSession::WriteFrames(const std::vector<boost::asio::const_buffer>& frames) {
  ws_.async_write(frames.front(), [self = shared_from_this()](const boost::system::error_code& ec,
                                                              size_t) { self->OnWriteDone(ec); });
}

void WsSession::CloseTransport(const std::optional<std::string>& reason) {
  resume_timer_.cancel();
  if (reason && !writing() && ws_.is_open()) {
    // The close handshake is bounded by the handshake timeout.
    ws_.async_close(websocket::close_reason(CloseCodeFor(*reason), *reason),
                    [self = shared_from_this()](const boost::system::error_code&) {});
    return;
  }
  boost::system::error_code ignored;
  auto& socket = boost::beast::get_lowest_layer(ws_).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace hookd
