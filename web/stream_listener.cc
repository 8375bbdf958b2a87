#include "web/stream_listener.h"

#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "common/http_errors.h"
#include "common/http_framing.h"
#include "web/long_poll.h"
#include "web/sse_session.h"
#include "web/stream_http.h"
#include "web/ws_session.h"

namespace hookd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kStreamPath = "/api/v1/stream";
constexpr std::string_view kWsPath = "/api/v1/ws";
constexpr std::string_view kUpdatesPath = "/api/v1/updates";
constexpr std::string_view kListenPath = "/api/v1/listen";

HttpResponse JsonError(int status, const std::string& code, const std::string& message) {
  return JsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

// One connection until it becomes a stream: reads request headers (keep-alive between
// answered requests), routes, answers errors, preflights and long-polls itself.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, StreamContext& ctx, ConnectionSlot slot)
      : remote_address_(RemoteAddress(socket)),
        stream_(std::move(socket)),
        ctx_(ctx),
        slot_(std::move(slot)) {}

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.limits.header_limit));
    parser_->body_limit(0);
    stream_.expires_after(ctx_.limits.header_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      Respond(JsonError(431, "headers_too_large", "request headers are over the limit"), false);
    } else if (ec == http::error::body_limit || ec == http::error::unexpected_body) {
      Respond(JsonError(413, "body_not_allowed", "stream requests have no body"), false);
    } else if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      Respond(JsonError(400, "malformed_request", "malformed HTTP request: " + ec.message()),
              false);
    } else if (ec) {
      Close();  // gone, reset, or idle past the header timeout
    } else {
      Route(parser_->release());
    }
  }

  void Route(http::request<http::empty_body> req) {
    keep_alive_ = req.keep_alive();
    HttpRequest hr;
    hr.method = std::string(req.method_string());
    ParseTarget(std::string_view(req.target().data(), req.target().size()), &hr);
    hr.remote_address = remote_address_;
    for (const auto& field : req)
      hr.headers.Add(std::string(field.name_string()), std::string(field.value()));

    auto origin = hr.headers.Get("origin");
    if (origin && !ctx_.OriginAllowed(*origin)) {
      Respond(JsonError(403, "forbidden_origin",
                        "the Origin is not an allowed dashboard origin (HOOKD_DASHBOARD_ORIGIN)"),
              false);
      return;
    }
    cors_ = CorsHeaders(origin);
    if (hr.path != kStreamPath && hr.path != kWsPath && hr.path != kUpdatesPath &&
        hr.path != kListenPath) {
      Respond(ErrorResponse(Status::NotFound("no such stream: " + hr.path)), keep_alive_);
      return;
    }
    if (hr.method == "OPTIONS") {
      HttpResponse r;
      r.status = 204;
      r.headers = {{"Access-Control-Allow-Methods", "GET, OPTIONS"},
                   {"Access-Control-Allow-Headers", "Authorization, Last-Event-ID, Content-Type"},
                   {"Access-Control-Max-Age", "600"}};
      Respond(std::move(r), keep_alive_);
      return;
    }
    if (hr.method != "GET") {
      HttpResponse r = ErrorResponse({ErrorKind::kMethodNotAllowed, "method_not_allowed",
                                      hr.method + " is not allowed here; use GET"});
      r.headers.emplace_back("Allow", "GET, OPTIONS");
      Respond(std::move(r), keep_alive_);
      return;
    }
    if (hr.path == kListenPath) {
      RouteListen(std::move(req), hr);
      return;
    }
    auto principal = ctx_.Authenticate(hr);
    if (!principal.ok()) {
      Respond(ErrorResponse(principal.status()), keep_alive_);
      return;
    }
    std::optional<std::string_view> last_event_id;
    if (hr.path == kStreamPath) last_event_id = hr.headers.Get("last-event-id");
    auto query = ParseStreamQuery(hr.query, last_event_id);
    if (!query.ok()) {
      Respond(ErrorResponse(query.status()), keep_alive_);
      return;
    }
    // An application's credential sees its own application's entries only, whatever it asks.
    if (const std::optional<std::string>& app = *principal) {
      std::optional<std::string>& asked = query->filter.app_id;
      if (asked && *asked != *app) {
        Respond(ErrorResponse({ErrorKind::kForbidden, "forbidden",
                               "an application credential sees its own application only"}),
                keep_alive_);
        return;
      }
      asked = *app;
    }
    CredentialCheck credential = ctx_.BindCredential(hr);
    if (hr.path == kStreamPath) {
      stream_.expires_never();
      auto session = SseSession::Create(stream_.release_socket(), ctx_, std::move(query).value(),
                                        std::move(cors_), std::move(slot_));
      session->BindCredential(std::move(credential));
      session->Start();
    } else if (hr.path == kWsPath) {
      if (!beast::websocket::is_upgrade(req)) {
        Respond(JsonError(400, "websocket_upgrade_required",
                          "GET /api/v1/ws is a WebSocket upgrade request"),
                false);
        return;
      }
      auto session =
          WsSession::Create(std::move(stream_), ctx_, std::move(query).value(), std::move(slot_));
      session->BindCredential(std::move(credential));
      session->Start(std::move(req));
    } else {
      stream_.expires_never();  // the long-poll's own timer bounds the wait
      LongPoll::Create(ctx_, stream_.get_executor(), std::move(query).value(),
                       std::move(credential),
                       [self = shared_from_this()](HttpResponse r) {
                         self->Respond(std::move(r), self->keep_alive_);
                       })
          ->Start();
    }
  }

  // GET /api/v1/listen: `hookd listen`'s WebSocket (listen/listen_session.h).
  void RouteListen(http::request<http::empty_body> req, HttpRequest& hr) {
    if (!ctx_.listen()) {
      Respond(JsonError(503, "listen_unavailable",
                        "this hookd process does not deliver (HOOKD_ROLES); connect hookd listen "
                        "to one with the api and deliver roles"),
              keep_alive_);
      return;
    }
    // It creates an endpoint: a credential that may only read (a read-only portal session) is
    // refused as it would be on POST /api/v1/endpoints.
    hr.method = "POST";
    auto principal = ctx_.Authenticate(hr);
    if (!principal.ok()) {
      Respond(ErrorResponse(principal.status()), keep_alive_);
      return;
    }
    if (!beast::websocket::is_upgrade(req)) {
      Respond(JsonError(400, "websocket_upgrade_required",
                        "GET /api/v1/listen is a WebSocket upgrade request"),
              false);
      return;
    }
    auto slot = std::make_shared<ConnectionSlot>(std::move(slot_));
    ctx_.listen()(std::move(stream_), std::move(req), std::move(principal).value(),
                  ctx_.BindCredential(hr), std::move(slot));
  }

  void Respond(HttpResponse r, bool keep_alive) {
    for (auto& h : cors_) r.headers.push_back(h);
    out_ = FormatResponse(r, keep_alive);
    stream_.expires_after(ctx_.limits.header_timeout);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) {
                          self->Close();
                          return;
                        }
                        self->cors_.clear();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  static std::string RemoteAddress(const tcp::socket& socket) {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    return ec ? std::string() : endpoint.address().to_string();
  }

  const std::string remote_address_;
  beast::tcp_stream stream_;
  StreamContext& ctx_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  std::vector<std::pair<std::string, std::string>> cors_;
  bool keep_alive_ = false;
  std::string out_;
};

// Past the connection cap: one short JSON answer, then close, without reading the request.
void RefuseBusy(tcp::socket socket) {
  static const std::string kBusy = FormatResponse(
      JsonError(503, "too_many_connections", "the stream listener is at its connection limit"),
      false);
  auto s = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*s, asio::buffer(kBusy), [s](beast::error_code, size_t) {
    beast::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

}  // namespace

StreamListener::StreamListener(asio::io_context& ioc, StreamContext& ctx)
    : ioc_(ioc),
      ctx_(ctx),
      acceptor_(std::make_shared<tcp::acceptor>(asio::make_strand(ioc))),
      retry_timer_(std::make_shared<asio::steady_timer>(acceptor_->get_executor())) {}

StreamListener::~StreamListener() = default;

Status StreamListener::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::Unavailable("stream listener: bad address " + host + ": " + ec.message());
  tcp::endpoint endpoint(address, port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("stream listener: cannot listen on " + host + ":" +
                               std::to_string(port) + ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint().port();
  return Status::Ok();
}

void StreamListener::Start() {
  asio::post(acceptor_->get_executor(), [this] { Accept(); });
}

void StreamListener::Stop() {
  if (!acceptor_) return;
  // On the acceptor's strand, so it never races a pending accept's completion.
  auto acceptor = acceptor_;
  auto timer = retry_timer_;
  asio::post(acceptor->get_executor(), [acceptor, timer] {
    beast::error_code ignored;
    timer->cancel();
    acceptor->close(ignored);
  });
}

void StreamListener::Accept() {
  auto acceptor = acceptor_;
  acceptor->async_accept(asio::make_strand(ioc_), [this, acceptor](beast::error_code ec,
                                                                   tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
      // Out of descriptors or similar: back off briefly instead of spinning.
      retry_timer_->expires_after(std::chrono::milliseconds(100));
      retry_timer_->async_wait([this](beast::error_code e) {
        if (!e) Accept();
      });
      return;
    }
    if (ctx_.connections.load() >= ctx_.limits.max_connections) {
      RefuseBusy(std::move(socket));
    } else {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      // A small kernel send buffer keeps a stalled client's backlog in hookd's bounded queue,
      // where it is seen and dropped, rather than in megabytes of socket buffer.
      if (ctx_.limits.send_buffer_bytes > 0)
        socket.set_option(asio::socket_base::send_buffer_size(ctx_.limits.send_buffer_bytes),
                          ignored);
      std::make_shared<HttpConnection>(std::move(socket), ctx_, ConnectionSlot(&ctx_.connections))
          ->Read();
    }
    Accept();
  });
}

}  // namespace hookd
