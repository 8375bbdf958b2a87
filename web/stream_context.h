// StreamContext: what every stream-listener session shares: the hub, the auth check, the
// allowed dashboard origins, the limits and the metric handles. Built once by the listener and
// read-only once the listener starts (SetAllowedOrigins comes before; the connection counter
// is atomic); thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

#include "common/http_types.h"
#include "common/metrics.h"
#include "common/result.h"
#include "common/status.h"
#include "web/stream_hub.h"

namespace hookd {

// The admin check of a request (bearer token or session cookie).
using StreamAuth = std::function<Status(const HttpRequest&)>;
// For a request with an application credential (an application token or a portal session):
// the application it reaches, or the refusal.
using StreamAppAuth = std::function<Result<std::string>(const HttpRequest&)>;
using StreamAppProbe = std::function<bool(const HttpRequest&)>;
// Whether the credential that opened a stream is still valid (bound when the stream opens).
using CredentialCheck = std::function<Status()>;
// GET /api/v1/listen (`hookd listen`): takes over an authenticated WebSocket upgrade request with
// the application its credential is limited to (nullopt: the admin), the credential's check, and
// the connection's slot (released when the connection ends).
using ListenUpgrade = std::function<void(
    boost::beast::tcp_stream, boost::beast::http::request<boost::beast::http::empty_body>,
    std::optional<std::string>, CredentialCheck, std::shared_ptr<void>)>;

struct StreamLimits {
  size_t max_connections = 1024;                    // open sockets on the stream listener
  size_t header_limit = 8 * 1024;                   // bytes of request line and headers
  std::chrono::milliseconds header_timeout{10000};  // to read a request (and keep-alive idle)
  size_t max_queue_bytes = 1 << 20;                 // per client, before it is dropped
  int send_buffer_bytes = 64 * 1024;                // SO_SNDBUF of stream sockets (0: the kernel's)
  std::chrono::milliseconds ping_interval{15000};   // SSE comment / WebSocket ping
  std::chrono::milliseconds ws_resume_wait{500};    // for a first {"after": seq} frame
  std::chrono::milliseconds drop_grace{2000};       // to write the reason before closing
  // How often an open stream's credential is checked again: a revoked token or an expired
  // session closes its streams within this (API.md, "Applications (tenants)": within a second).
  std::chrono::milliseconds credential_recheck{750};
  size_t page_size = 500;  // entries per catch-up page and long-poll answer
};

class StreamContext {
 public:
  StreamContext(StatusHub& hub, Metrics& metrics, StreamAuth auth,
                std::vector<std::string> allowed_origins, StreamLimits limits)
      : hub(hub),
        auth(std::move(auth)),
        limits(limits),
        sse_clients(metrics.stream_clients().Add({{"transport", "sse"}})),
        ws_clients(metrics.stream_clients().Add({{"transport", "ws"}})),
        longpoll_clients(metrics.stream_clients().Add({{"transport", "longpoll"}})),
        sse_sent(metrics.stream_entries_sent().Add({{"transport", "sse"}})),
        ws_sent(metrics.stream_entries_sent().Add({{"transport", "ws"}})),
        longpoll_sent(metrics.stream_entries_sent().Add({{"transport", "longpoll"}})),
        dropped_(metrics.stream_clients_dropped()),
        allowed_origins_(std::move(allowed_origins)) {}

  // True when `origin` is one of the dashboard's origins (exact, case-insensitive match).
  bool OriginAllowed(std::string_view origin) const {
    for (const std::string& o : allowed_origins_) {
      if (EqualsIgnoreCase(o, origin)) return true;
    }
    return false;
  }
  // Before the listener starts only (the main listener's port may be known late).
  void SetAllowedOrigins(std::vector<std::string> origins) {
    allowed_origins_ = std::move(origins);
  }
  // The check an open stream's credential is checked again with, every credential_recheck: it
  // must not count as a use of the session (an open dashboard is not activity). Defaults to
  // `auth`. Before the listener starts only.
  void SetRecheck(StreamAuth recheck) { recheck_ = std::move(recheck); }
  // Application credentials on the streams: `probe` says whether a request carries one, `auth`
  // checks it when a stream opens and `recheck` while it stays open (nothing throttled). Before
  // the listener starts only; without them every stream needs the admin credential.
  void SetAppAuth(StreamAppProbe probe, StreamAppAuth auth, StreamAppAuth recheck) {
    app_probe_ = std::move(probe);
    app_auth_ = std::move(auth);
    app_recheck_ = std::move(recheck);
  }
  // Where GET /api/v1/listen goes; unset in a process that does not deliver (503 there). Before
  // the listener starts only.
  void SetListen(ListenUpgrade listen) { listen_ = std::move(listen); }
  const ListenUpgrade& listen() const { return listen_; }
  // Who may open a stream with `req`'s credential: nullopt for the admin (any entry), or the
  // one application whose entries alone it may see; a refusal otherwise.
  Result<std::optional<std::string>> Authenticate(const HttpRequest& req) const;
  // The check of the credential `req` carries, for the stream it opens: only its
  // Authorization and Cookie headers are kept.
  CredentialCheck BindCredential(const HttpRequest& req) const;
  prometheus::Counter& dropped(const std::string& reason) const {
    return dropped_.Add({{"reason", reason}});
  }

  StatusHub& hub;
  const StreamAuth auth;
  const StreamLimits limits;
  prometheus::Gauge& sse_clients;
  prometheus::Gauge& ws_clients;
  prometheus::Gauge& longpoll_clients;
  prometheus::Counter& sse_sent;
  prometheus::Counter& ws_sent;
  prometheus::Counter& longpoll_sent;
  std::atomic<size_t> connections{0};

 private:
  prometheus::Family<prometheus::Counter>& dropped_;
  std::vector<std::string> allowed_origins_;
  StreamAuth recheck_;
  StreamAppProbe app_probe_;
  StreamAppAuth app_auth_;
  StreamAppAuth app_recheck_;
  ListenUpgrade listen_;
};

// One open socket counted against StreamLimits::max_connections; released on destruction.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(std::atomic<size_t>* counter) : counter_(counter) { ++*counter_; }
  ConnectionSlot(ConnectionSlot&& o) noexcept : counter_(std::exchange(o.counter_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept {
    if (this != &o) {
      Release();
      counter_ = std::exchange(o.counter_, nullptr);
    }
    return *this;
  }
  ~ConnectionSlot() { Release(); }

 private:
  void Release() {
    if (counter_) --*counter_;
    counter_ = nullptr;
  }
  std::atomic<size_t>* counter_ = nullptr;
};

}  // namespace hookd
