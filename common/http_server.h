// HttpServer: serves a Router over HTTP/1.1 with Pistache (the only file that includes Pistache
// is common/http_server.cc).
//
// Connections stay alive for HTTP/1.1 clients that send no Connection header (Pistache 0.0.5
// would answer "Connection: Close" and make every request pay a new TCP connection); an explicit
// "Connection: close" and HTTP/1.0 without keep-alive are honoured. Start/Stop from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/router.h"
#include "common/status.h"

namespace hookd {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; port() tells which
  int threads = 2;
  // Requests whose body exceeds this are answered 413 by the handlers; Pistache's own buffer is
  // sized a little above it so that the handler, not Pistache, sees such bodies.
  size_t max_body_bytes = 1 << 20;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router);
  ~HttpServer();
  // Binds and starts serving on background threads.
  Status Start();
  uint16_t port() const;
  // From now on new requests are answered 503 shutting_down (with Connection: close) instead of
  // being dispatched; requests already dispatched are still answered.
  void BeginDrain();
  // Waits until every dispatched request has been answered, or `timeout` passes.
  // Returns true when none is left.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Stops accepting and closes connections; idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd
