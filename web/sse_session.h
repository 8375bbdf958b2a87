// SseSession: GET /api/v1/stream as Server-Sent Events (API.md, "Status stream"). Writes the
// response head and `retry: 2000`, then one `id:`/`event:`/`data:` block per matching entry,
// a `: ping` comment every ping interval, and `: dropped <reason>` before closing a client that
// fell too far behind (it reconnects with Last-Event-ID and misses nothing).
//
// Thread-safety: as StreamSession; the socket is used only on its strand.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "web/stream_session.h"

namespace hookd {

class SseSession final : public StreamSession {
 public:
  // `head_headers`: extra response headers (CORS). Takes over the socket of an HTTP connection
  // whose request has been read.
  static std::shared_ptr<SseSession> Create(
      boost::asio::ip::tcp::socket socket, const StreamContext& ctx, StreamQuery query,
      std::vector<std::pair<std::string, std::string>> head_headers, ConnectionSlot slot);
  ~SseSession() override;

  // Writes the head and starts the feed. Call on the socket's strand.
  void Start();

 private:
  SseSession(boost::asio::ip::tcp::socket socket, const StreamContext& ctx, StreamQuery query,
             std::vector<std::pair<std::string, std::string>> head_headers, ConnectionSlot slot);
  const Frame& FrameOf(const StreamEntry& e) const override { return e.sse; }
  Frame FarewellFrame(const std::string& reason) const override {
    return std::make_shared<const std::string>(": dropped " + reason + "\n\n");
  }
  size_t MaxFramesPerWrite() const override { return 64; }
  bool ConcatenatesEntries() const override { return true; }
  void WriteFrames(const std::vector<boost::asio::const_buffer>& frames) override;
  void CloseTransport(const std::optional<std::string>& reason) override;
  void SchedulePing();
  void ReadUntilClosed();

  boost::asio::ip::tcp::socket socket_;
  std::optional<int64_t> after_;
  std::vector<std::pair<std::string, std::string>> head_headers_;
  ConnectionSlot slot_;
  boost::asio::steady_timer ping_timer_;
  uint64_t writes_at_last_ping_ = 0;
  std::array<char, 512> discard_{};
};

}  // namespace hookd
