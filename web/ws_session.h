// WsSession: GET /api/v1/ws, the status log over a WebSocket (API.md, "Status stream"). One JSON
// text frame per matching entry. The resume point is `?after=` when given; otherwise the client's
// first frame `{"after": <seq>}` sets it if it arrives within ws_resume_wait, and without one the
// feed starts after the last entry at the time of the upgrade (so nothing in between is
// missed). Pings at half the idle timeout (ping interval x 2); a client answering nothing is
// closed. A client that falls too far behind is closed with 1013 and the reason.
// Origin and auth are checked by the listener before the upgrade.
//
// Thread-safety: as StreamSession; the websocket is used only on its strand.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "web/stream_session.h"

namespace hookd {

class WsSession final : public StreamSession {
 public:
  static std::shared_ptr<WsSession> Create(boost::beast::tcp_stream stream,
                                           const StreamContext& ctx, StreamQuery query,
                                           ConnectionSlot slot);
  ~WsSession() override;

  // Answers the upgrade `req` and starts the session. Call on the stream's strand.
  void Start(boost::beast::http::request<boost::beast::http::empty_body> req);

 private:
  WsSession(boost::beast::tcp_stream stream, const StreamContext& ctx, StreamQuery query,
            ConnectionSlot slot);
  const Frame& FrameOf(const StreamEntry& e) const override { return e.json; }
  Frame FarewellFrame(const std::string&) const override { return nullptr; }
  void WriteFrames(const std::vector<boost::asio::const_buffer>& frames) override;
  void CloseTransport(const std::optional<std::string>& reason) override;
  void OnAccept(const boost::system::error_code& ec);
  void ReadNext();
  void OnMessage();
  void StartFeed(std::optional<int64_t> after);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::optional<int64_t> query_after_;
  ConnectionSlot slot_;
  boost::asio::steady_timer resume_timer_;
  boost::beast::flat_buffer read_buffer_;
  bool feed_started_ = false;
  int64_t upgrade_seq_ = 0;  // the hub's last seq when the upgrade was answered
};

}  // namespace hookd
