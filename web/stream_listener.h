// StreamListener: the status streams' own listener (API.md, "Status stream"), on Boost.Beast.
// Accepts connections on the shared io_context (a strand per connection), reads one request
// header at a time under strict limits (header size and read timeout, no request body, a cap on
// open connections), checks Origin (403 for a foreign one) and auth (401), answers CORS
// preflights, and hands the connection to SseSession (GET /api/v1/stream), WsSession
// (GET /api/v1/ws) or LongPoll (GET /api/v1/updates). Every error is JSON.
//
// Thread-safety: Listen and Start/Stop from the owning thread; the rest runs on the io_context.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/status.h"
#include "web/stream_context.h"

namespace hookd {

class StreamListener {
 public:
  StreamListener(boost::asio::io_context& ioc, StreamContext& ctx);
  ~StreamListener();

  // Binds host:port (port 0: any free port). 503 unavailable when it cannot.
  Status Listen(const std::string& host, uint16_t port);
  // Starts accepting (the io_context's threads run the connections).
  void Start();
  // Stops accepting; open streams end when the io_context stops. Idempotent.
  void Stop();
  // Destroy before the io_context (the acceptor belongs to it).
  uint16_t port() const { return port_; }

 private:
  void Accept();

  boost::asio::io_context& ioc_;
  StreamContext& ctx_;
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::shared_ptr<boost::asio::steady_timer> retry_timer_;
  uint16_t port_ = 0;
};

}  // namespace hookd
