// HttpServer: serves a Router over HTTP/1.1. Pistache accepts connections, reads and writes
// (common/http_server.cc is the only file that includes Pistache); the framing of requests is
// hookd's own strict RequestFramer (common/http_framing.h), because Pistache 0.0.5's parser is
// lax (docs/DECISIONS.md, "The HTTP edge").
//
// Connections stay alive for HTTP/1.1 clients unless they send "Connection: close" (HTTP/1.0
// only with keep-alive). Pipelined requests are answered in order. A request whose headers are
// not complete within header_timeout, or whose body is not complete within body_timeout of its
// headers, is answered 408 and closed; an idle keep-alive connection is closed after
// keepalive_timeout; one whose answer is not all written within write_timeout (the peer does not
// read) is closed. Input that arrives while a request is being answered counts against the
// budget at once, and one connection may hold at most a request's worth of it: past that it is
// closed. Past max_connections a new connection is answered 503 and closed. The bytes
// held for unfinished requests across all connections stay within buffer_budget_bytes; a
// connection that would pass it is answered 503 and closed. Any error response closes the
// connection (unread request bytes are never taken as a new request).
// Every answer carries a request id (common/request_id.h): in X-Request-Id, in an error body,
// and in the log lines about the request (internal errors always; every request with
// access_log).
// Start/Stop from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "common/router.h"
#include "common/status.h"

namespace hookd {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; port() tells which
  int threads = 2;
  // Requests whose body exceeds this are answered 413 by the handlers; the framer's limit is a
  // little above it so that the handler, not the edge, answers (and counts) such bodies.
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds keepalive_timeout{60000};
  // An answer not written whole within this (the peer does not read) closes the connection.
  std::chrono::milliseconds write_timeout{60000};
  // The caller keeps it within the process's descriptor budget (common/descriptor_budget.h),
  // so accept() never fails for want of descriptors.
  size_t max_connections = 10000;
  size_t buffer_budget_bytes = 64 << 20;
  // Request ids are made from these; null: the system clock and a secure random source.
  const Clock* clock = nullptr;
  Random* random = nullptr;
  // Where answers 500 are logged, and with access_log one line per request; null: nowhere.
  const Logger* logger = nullptr;
  bool access_log = false;
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
