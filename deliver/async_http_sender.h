// AsyncHttpSender: the AsyncSender that POSTs over HTTP(S) with Boost.Beast and OpenSSL on an
// io_context owned by the caller (app/ runs it on a small fixed pool of threads). An attempt in
// flight is a small object on the heap (request, parser, a ~1 KiB read buffer), never a thread:
// thousands are in flight on a couple of threads.
//
// Per attempt, in order, all under one deadline (a steady_timer armed when the attempt starts;
// when it fires the socket is closed and `done` gets a timeout at once, whatever step was running,
// so a receiver that trickles header or body bytes is cut at the deadline):
//   resolve and check: SsrfGuard::AddressToDial, so the address dialled is the checked one. An IP
//     literal is checked inline (no DNS); a name is resolved on a small dedicated resolver thread
//     pool (getaddrinfo blocks), and the result comes back to the attempt's strand;
//   connect to exactly that address (TCP_NODELAY), or take an idle pooled connection to it;
//   https: TLS handshake with SNI (the URL's host unless it is an IP literal), the peer verified
//     against the system CA store (plus `extra_ca_file`) and the URL's host;
//   write: POST, the request's headers except the ones the sender owns (Host, Content-Type:
//     application/json, Content-Length, User-Agent, Transfer-Encoding, Connection);
//   read: the status line and headers (at most kMaxHeaderRead bytes), then at most kMaxBodyRead
//     bytes of body, of which the first kMaxBodyKept are kept. A longer body stops the read: the
//     attempt counts by its status and the connection is not reused. Redirects are not followed.
//
// Errors are the strings the blocking sender it replaced used ("could not connect to A port P",
// "timeout: ...", "TLS certificate verification failed for A port P", ...).
//
// Keep-alive: a connection whose response was read completely and that may be kept alive goes
// back to an idle pool keyed by origin (scheme, host, port) and the address dialled, shared by
// every endpoint on that origin: at most `max_idle_per_origin` per key and `max_idle_total` in
// all, dropped after kMaxIdleAge idle or when the peer has closed it. A pooled connection that
// fails before any byte of the response arrives (the receiver closed it just as it was reused) is
// retried once on a fresh connection, within the same deadline.
//
// In-flight cap: THE SENDER ENFORCES IT. At most `max_in_flight` attempts run at once (the
// HOOKD_MAX_INFLIGHT setting); attempts beyond it wait in a FIFO queue inside the sender and
// their deadline starts when they leave it. The queue is unbounded: the engine is expected to
// watch in_flight() and not hand over many more than max_in_flight(); it also keeps its own
// per-endpoint concurrency cap, which the sender does not know about.
//
// Thread-safety: every public member may be called from any thread, including from inside a
// `done` callback (SendAsync from `done` is how a caller chains attempts). Each attempt runs on
// its own strand; the shared state (counters, queue, idle pool) is guarded by mutexes in the
// implementation. `done` runs on an io_context thread, or inline in SendAsync when the attempt is
// refused before any I/O (a forbidden or malformed IP literal, a stopped sender).
//
// Lifetime: `io` and `guard` must outlive the sender. The destructor calls Stop() and joins the
// resolver threads; attempts still unwinding on the io_context keep the shared state alive, so
// the io_context should be run until they finish (or destroyed, which drops them).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "deliver/async_sender.h"
#include "deliver/sender.h"
#include "deliver/ssrf_guard.h"

namespace boost::asio {
class io_context;
}

namespace hookd {

struct AsyncHttpSenderOptions {
  // Attempts running at once; more wait in the sender's FIFO queue (HOOKD_MAX_INFLIGHT).
  size_t max_in_flight = 4096;
  // Idle keep-alive connections kept per pool key (scheme, host, port, address dialled): as many
  // as attempts may run at once to one origin, or concurrent attempts close and reopen
  // connections.
  size_t max_idle_per_origin = 8;
  // Idle keep-alive connections kept in all.
  size_t max_idle_total = 1024;
  // Threads that run the guard's (blocking) resolver for host names.
  size_t resolver_threads = 2;
  // A PEM file of CAs trusted in addition to the system store (tests; a private CA).
  std::string extra_ca_file;
};

class AsyncHttpSender final : public AsyncSender {
 public:
  static constexpr size_t kMaxBodyRead = 64 * 1024;
  static constexpr size_t kMaxBodyKept = 4 * 1024;
  static constexpr size_t kMaxHeaderRead = 64 * 1024;
  static constexpr std::chrono::seconds kMaxIdleAge{30};

  AsyncHttpSender(boost::asio::io_context& io, SsrfGuard& guard, std::string user_agent,
                  AsyncHttpSenderOptions options = {});
  ~AsyncHttpSender() override;

  AsyncHttpSender(const AsyncHttpSender&) = delete;
  AsyncHttpSender& operator=(const AsyncHttpSender&) = delete;

  void SendAsync(OutboundRequest request, std::chrono::milliseconds deadline, Done done) override;

  // Refuses new attempts (their `done` is called inline with an error), and ends every queued and
  // running attempt: each `done` is called with an error on an io_context thread, so the
  // io_context must still be running for them. Returns without waiting; idempotent.
  void Stop();

  // Attempts running now (at most max_in_flight()), and waiting in the queue.
  size_t in_flight() const;
  size_t queued() const;
  size_t max_in_flight() const;
  // Idle pooled connections right now (for tests and metrics).
  size_t IdleConnections() const;

 private:
  struct Core;
  class Attempt;
  std::shared_ptr<Core> core_;
};

}  // namespace hookd
