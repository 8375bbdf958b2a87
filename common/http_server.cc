#include "common/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/byte_budget.h"
#include "common/http_errors.h"
#include "common/http_framing.h"
#include "common/ids.h"
#include "common/request_id.h"
#include "common/thread_name.h"

namespace hookd {
namespace {

using namespace Pistache;

// Bytes each connection may hold without touching the large-body share of the budget.
constexpr size_t kSmallRequestBytes = 64 * 1024;
// An answer is handed to the socket in pieces of this size (Edge::WriteFrom).
constexpr size_t kWriteChunk = 64 * 1024;
// How long a connection that was answered "close" may linger before it is shut.
constexpr int64_t kLingerMs = 2000;
constexpr char kConnKey[] = "hookd.conn";

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const Clock& ClockOf(const HttpServerOptions& o) {
  static const SystemClock system;
  return o.clock ? *o.clock : system;
}

Random& RandomOf(const HttpServerOptions& o) {
  static SecureRandom secure;
  return o.random ? *o.random : secure;
}

// An error answer the edge makes itself (no handler), with a new request id.
std::string FormatRefusal(HttpResponse r, const HttpServerOptions& o) {
  AttachRequestId(r, NewId("req", ClockOf(o), RandomOf(o)));
  return FormatResponse(r, false);
}

// What the log needs of a request once it is answered.
struct RequestLine {
  std::string method;
  std::string path;
  std::string id;
  std::chrono::steady_clock::time_point started;
};

// Where a connection is in its request cycle; each phase has its own deadline.
// kBusy: a request was dispatched and its handler has not answered; kWriting: the answer was
// handed to the socket and is not all written (HttpServerOptions::write_timeout).
enum class Phase { kFirst, kIdle, kHeaders, kBody, kBusy, kWriting, kClosing };

// One client connection. `mu` guards the framer and the flags; the deadline and phase are
// atomics so the reaper can read them without it. `registered` is guarded by the registry's
// mutex (Edge::mu): while it is true, the descriptor still belongs to this connection.
struct Conn {
  Conn(const std::shared_ptr<Tcp::Peer>& p, FramingLimits limits)
      : peer(p), fd(p->fd()), remote(p->address().host()), framer(limits) {}
  std::weak_ptr<Tcp::Peer> peer;
  const int fd;
  const std::string remote;  // the peer's IP address
  std::mutex mu;
  RequestFramer framer;
  bool busy = false;     // a request was dispatched and its response is not yet written
  bool closing = false;  // no further request is read
  size_t charged = 0;    // bytes charged to the budget
  std::atomic<Phase> phase{Phase::kFirst};
  std::atomic<int64_t> deadline_ms{0};  // steady clock; 0 = none
  bool registered = false;
};

// State shared by the server and its per-thread handler clones.
struct Edge {
  Edge(const Router* r, const HttpServerOptions& o, size_t max_conns)
      : router(r),
        options(o),
        max_connections(max_conns),
        budget(o.buffer_budget_bytes, kSmallRequestBytes),
        clock(ClockOf(o)),
        random(RandomOf(o)),
        logger(o.logger ? *o.logger : Logger::Discard()) {}

  const Router* router;
  const HttpServerOptions options;
  const size_t max_connections;
  ByteBudget budget;
  const Clock& clock;
  Random& random;
  const Logger& logger;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> in_flight{0};  // dispatched and not yet answered

  std::mutex mu;  // guards conns and every Conn::registered
  std::unordered_map<Conn*, std::shared_ptr<Conn>> conns;

  FramingLimits Limits() const {
    // The handlers answer bodies a little over the limit themselves (JSON 413, counted).
    return {options.max_header_bytes, options.max_body_bytes + 64 * 1024};
  }

  // shutdown(2) on the connection's descriptor while it is certainly still its own.
  void Shutdown(Conn& c, int how) {
    std::lock_guard<std::mutex> lock(mu);
    if (c.registered) ::shutdown(c.fd, how);
  }

  void SetPhase(Conn& c, Phase p, int64_t timeout_ms) {
    if (c.phase.exchange(p) == p) return;  // a phase's deadline starts when it is entered
    c.deadline_ms = timeout_ms > 0 ? SteadyMs() + timeout_ms : 0;
  }

  // Called with c.mu held, after input or a completed response.
  void UpdatePhase(Conn& c) {
    if (c.closing) return SetPhase(c, Phase::kClosing, kLingerMs);
    if (c.busy) return SetPhase(c, Phase::kBusy, 0);
    if (c.framer.header_done()) return SetPhase(c, Phase::kBody, options.body_timeout.count());
    if (c.framer.started()) {
      // The first request's header time runs from the connection's start.
      if (c.phase == Phase::kFirst) return;
      return SetPhase(c, Phase::kHeaders, options.header_timeout.count());
    }
    if (c.phase != Phase::kFirst) SetPhase(c, Phase::kIdle, options.keepalive_timeout.count());
  }

  // Brings the budget charge to what the framer holds; false when that does not fit. A closing
  // connection's buffers are freed first.
  bool Charge(Conn& c) {
    if (c.closing) c.framer.Release();
    const size_t now = c.framer.buffered_bytes();
    if (!budget.Resize(c.charged, now)) return false;
    c.charged = now;
    return true;
  }

  // Gives the answer its request id, writes it and logs it (answers 500 always, every answer
  // with access_log).
  void Answer(const std::shared_ptr<Conn>& c, HttpResponse r, bool keep_alive,
              const RequestLine& line) {
    const std::optional<ErrorBody> error = AttachRequestId(r, line.id);
    Write(c, r, keep_alive);
    if (r.status == 500 && error) {
      logger.Error("request failed", {{"request_id", line.id},
                                      {"method", line.method},
                                      {"path", line.path},
                                      {"status", r.status},
                                      {"code", error->code},
                                      {"error", error->message}});
    }
    if (options.access_log && logger.Enabled(LogLevel::kInfo)) {
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - line.started)
              .count();
      logger.Info("request", {{"method", line.method},
                              {"path", line.path},
                              {"status", r.status},
                              {"bytes", r.body.size()},
                              {"duration_ms", ms},
                              {"request_id", line.id},
                              {"remote", c->remote}});
    }
  }

  void Write(const std::shared_ptr<Conn>& c, const HttpResponse& r, bool keep_alive) {
    auto peer = c->peer.lock();
    if (!peer) return;
    std::string bytes = FormatResponse(r, keep_alive);
    {
      // The write deadline runs from here: a peer that does not read is closed at it.
      std::lock_guard<std::mutex> lock(c->mu);
      SetPhase(*c, Phase::kWriting, options.write_timeout.count());
    }
    if (bytes.size() > kWriteChunk)
      return WriteFrom(c, std::make_shared<const std::string>(std::move(bytes)), 0, keep_alive);
    const size_t n = bytes.size();
    peer->send(RawBuffer(std::move(bytes), n))
        .then([this, c, keep_alive](ssize_t) { OnWritten(c, keep_alive); },
              [this, c](std::exception_ptr) { OnWritten(c, false); });
  }

  // Hands the answer to Pistache kWriteChunk bytes at a time, the next when the last is written.
  // Pistache copies what is left of a buffer after every partial write, so a whole large answer
  // to a client that reads slowly cost a reactor thread a copy of megabytes per few kilobytes
  // sent (quadratic), stalling every other connection on that thread.
  void WriteFrom(const std::shared_ptr<Conn>& c, std::shared_ptr<const std::string> bytes,
                 size_t offset, bool keep_alive) {
    auto peer = c->peer.lock();
    if (!peer) return;
    const size_t n = std::min(kWriteChunk, bytes->size() - offset);
    const bool last = offset + n == bytes->size();
    peer->send(RawBuffer(bytes->substr(offset, n), n))
        .then(
            [this, c, bytes, offset, n, last, keep_alive](ssize_t) {
              if (last) return OnWritten(c, keep_alive);
              WriteFrom(c, bytes, offset + n, keep_alive);
            },
            [this, c](std::exception_ptr) { OnWritten(c, false); });
  }

  // Input that arrived while a request is being answered is held, not parsed, until the answer
  // is written. It is charged to the budget now, and one connection may hold at most one
  // request's worth of it: a client that keeps sending without reading its answers is closed
  // instead of growing memory. Called with c.mu held; false when the connection must be shut.
  bool AdmitWhileBusy(Conn& c) {
    const FramingLimits limits = Limits();
    if (c.framer.buffered_bytes() <= limits.max_header_bytes + limits.max_body_bytes && Charge(c))
      return true;
    c.closing = true;
    Charge(c);  // releases what it held
    return false;
  }

  void OnWritten(const std::shared_ptr<Conn>& c, bool keep_alive) {
    {
      std::lock_guard<std::mutex> lock(c->mu);
      c->busy = false;
      if (!keep_alive) c->closing = true;
      if (c->closing) Charge(*c);
      UpdatePhase(*c);
    }
    // Half-close: the FIN follows the response, and bytes the client still sends are read and
    // dropped instead of resetting the connection before it has read the answer.
    if (!keep_alive) return Shutdown(*c, SHUT_WR);
    Pump(c);
  }

  // Answers the next complete request held by the connection, if it is not busy with one.
  void Pump(const std::shared_ptr<Conn>& c) {
    HttpRequest request;
    std::optional<HttpResponse> refusal;
    bool keep_alive = false;
    bool send_continue = false;
    bool dispatch = false;
    {
      std::lock_guard<std::mutex> lock(c->mu);
      if (c->busy || c->closing) return;
      const RequestFramer::Outcome outcome = c->framer.Next(&request);
      if (!Charge(*c)) {
        refusal = ErrorResponse(Status(ErrorKind::kUnavailable, "overloaded",
                                       "too many unfinished requests are held; retry later"));
      } else if (outcome == RequestFramer::Outcome::kNeedMore) {
        send_continue = c->framer.TakeContinue();
      } else if (outcome == RequestFramer::Outcome::kError) {
        refusal = ErrorResponse(c->framer.error());
        refusal->status = c->framer.error_status();
      } else if (draining.load()) {
        refusal = ErrorResponse(Status(ErrorKind::kUnavailable, "shutting_down",
                                       "hookd is shutting down; retry later"));
      } else {
        dispatch = true;
        keep_alive = c->framer.keep_alive();
        request.remote_address = c->remote;
      }
      if (refusal) {
        c->closing = true;
        Charge(*c);  // releases what it held
      }
      c->busy = refusal || dispatch;
      UpdatePhase(*c);
    }
    if (send_continue) {
      if (auto peer = c->peer.lock()) {
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        peer->send(RawBuffer(kContinue, kContinue.size()));
      }
    }
    if (!refusal && !dispatch) return;
    request.request_id = RequestIdFor(request.headers, clock, random);
    RequestLine line{request.method, request.path, request.request_id,
                     std::chrono::steady_clock::now()};
    if (refusal) return Answer(c, std::move(*refusal), false, line);
    in_flight.fetch_add(1);
    router->Dispatch(request, [this, c, keep_alive, line = std::move(line)](HttpResponse r) {
      Answer(c, std::move(r), keep_alive && !draining.load(), line);
      in_flight.fetch_sub(1);
    });
  }

  // Closes connections whose phase deadline passed: 408 if part of a request was held.
  void Reap() {
    const int64_t now = SteadyMs();
    static const HttpResponse k408 = [] {
      HttpResponse r = ErrorResponse(
          Status(ErrorKind::kMalformed, "request_timeout", "the request did not arrive in time"));
      r.status = 408;
      return r;
    }();
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [raw, c] : conns) {
      const int64_t deadline = c->deadline_ms.load();
      if (deadline == 0 || deadline > now) continue;
      const Phase phase = c->phase.load();
      // kWriting: the peer did not read the answer in time; nothing more can be said to it.
      if (phase == Phase::kHeaders || phase == Phase::kBody ||
          (phase == Phase::kFirst && c->charged > 0)) {
        // Nothing of ours is being written in these phases, so the 408 cannot interleave.
        const std::string bytes = FormatRefusal(k408, options);
        ::send(c->fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      }
      ::shutdown(c->fd, SHUT_RDWR);
      c->deadline_ms = 0;
    }
  }
};

class Handler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)
  explicit Handler(std::shared_ptr<Edge> edge) : edge_(std::move(edge)) {}

  // Unused: onInput below frames requests and dispatches them itself.
  void onRequest(const Http::Request&, Http::ResponseWriter) override {}

 private:
  static std::shared_ptr<Conn> ConnOf(const std::shared_ptr<Tcp::Peer>& peer) {
    return std::static_pointer_cast<Conn>(peer->tryGetData(kConnKey));
  }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    // Pistache's idle check looks up its parser on every peer; it is never fed.
    peer->putData(ParserData, std::make_shared<Http::RequestParser>(0));
    auto conn = std::make_shared<Conn>(peer, edge_->Limits());
    peer->putData(kConnKey, conn);
    bool admitted = false;
    {
      std::lock_guard<std::mutex> lock(edge_->mu);
      if (edge_->conns.size() < edge_->max_connections) {
        conn->registered = true;
        edge_->conns.emplace(conn.get(), conn);
        admitted = true;
      }
    }
    if (admitted) {
      conn->deadline_ms = SteadyMs() + edge_->options.header_timeout.count();
      return;
    }
    conn->closing = true;
    static const HttpResponse k503 =
        ErrorResponse(Status(ErrorKind::kUnavailable, "too_many_connections",
                             "the server has too many connections; retry later"));
    const std::string bytes = FormatRefusal(k503, edge_->options);
    ::send(conn->fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(conn->fd, SHUT_RDWR);
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    auto conn = ConnOf(peer);
    if (!conn) return;
    {
      std::lock_guard<std::mutex> lock(conn->mu);
      if (conn->closing) return;  // dropped: the connection is being closed
      conn->framer.Append(std::string_view(buffer, len));
      if (conn->busy && edge_->AdmitWhileBusy(*conn)) return;  // parsed once the answer is out
    }
    // Over its share while busy: the pending answer cannot be followed by a 503, so the
    // connection is cut (AdmitWhileBusy marked it closing).
    bool shut = false;
    {
      std::lock_guard<std::mutex> lock(conn->mu);
      shut = conn->closing;
    }
    if (shut) return edge_->Shutdown(*conn, SHUT_RDWR);
    edge_->Pump(conn);
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    auto conn = ConnOf(peer);
    if (!conn) return;
    {
      std::lock_guard<std::mutex> lock(edge_->mu);
      if (conn->registered) edge_->conns.erase(conn.get());
      conn->registered = false;
    }
    std::lock_guard<std::mutex> lock(conn->mu);
    conn->closing = true;
    edge_->Charge(*conn);
  }

  std::shared_ptr<Edge> edge_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(const HttpServerOptions& o, const Router& r)
      : options(o), router(r), edge(std::make_shared<Edge>(&r, o, o.max_connections)) {}
  HttpServerOptions options;
  const Router& router;
  std::shared_ptr<Edge> edge;
  std::unique_ptr<Http::Endpoint> endpoint;
  bool running = false;

  std::mutex reaper_mu;
  std::condition_variable reaper_cv;
  bool reaper_stop = false;
  std::thread reaper;
};

HttpServer::HttpServer(HttpServerOptions options, const Router& router)
    : impl_(new Impl(options, router)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  try {
    Address addr(impl_->options.host, Port(impl_->options.port));
    impl_->endpoint = std::make_unique<Http::Endpoint>(addr);
    // hookd keeps its own deadlines (Edge::Reap); Pistache's would close connections without
    // telling the handler, so they are set out of reach.
    constexpr auto kNever = std::chrono::hours(24 * 365);
    auto opts = Http::Endpoint::options()
                    .threads(impl_->options.threads)
                    .threadsName("hookd-http")
                    .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                    .maxResponseSize(64 * 1024 * 1024)
                    .headerTimeout(kNever)
                    .bodyTimeout(kNever)
                    .keepaliveTimeout(kNever);
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(Http::make_handler<Handler>(impl_->edge));
    impl_->endpoint->serveThreaded();
    impl_->running = true;
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(impl_->options.port) + ": " + e.what());
  }
  impl_->reaper = std::thread([this] {
    NameThisThread("hookd-http-reap");
    std::unique_lock<std::mutex> lock(impl_->reaper_mu);
    while (!impl_->reaper_cv.wait_for(lock, std::chrono::milliseconds(100),
                                      [this] { return impl_->reaper_stop; }))
      impl_->edge->Reap();
  });
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  return impl_->endpoint ? static_cast<uint16_t>(impl_->endpoint->getPort()) : 0;
}

void HttpServer::BeginDrain() { impl_->edge->draining.store(true); }

bool HttpServer::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->edge->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void HttpServer::Stop() {
  if (impl_->reaper.joinable()) {
    {
      std::lock_guard<std::mutex> lock(impl_->reaper_mu);
      impl_->reaper_stop = true;
    }
    impl_->reaper_cv.notify_all();
    impl_->reaper.join();
  }
  if (impl_->running) {
    impl_->endpoint->shutdown();
    impl_->running = false;
  }
}

}  // namespace hookd
