#include "common/http_server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>

#include <sys/socket.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "common/http_errors.h"

namespace hookd {
namespace {

using namespace Pistache;

std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() &&
               std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// A response header with a name known only at run time. Pistache 0.0.5 writes only typed
// headers into responses (raw ones are dropped), so every extra header goes through this.
class NamedHeader final : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  // Only used by Pistache's typed-header casts, which never see this type.
  uint64_t hash() const override { return 0; }

 private:
  std::string name_;
  std::string value_;
};

// Whether the response may keep the connection open (RFC 9112 section 9.3).
bool KeepAlive(const Http::Request& req) {
  auto conn = req.headers().tryGet<Http::Header::Connection>();
  if (conn) {
    if (conn->control() == Http::ConnectionControl::Close) return false;
    if (conn->control() == Http::ConnectionControl::KeepAlive) return true;
  }
  return req.version() == Http::Version::Http11;
}

const Http::Mime::MediaType& MediaTypeOf(const std::string& content_type) {
  // Nearly every response is JSON; parse that media type once.
  static const Http::Mime::MediaType kJson = Http::Mime::MediaType::fromString("application/json");
  if (content_type == "application/json") return kJson;
  thread_local Http::Mime::MediaType other;
  other = Http::Mime::MediaType::fromString(content_type);
  return other;
}

HttpRequest ToRequest(const Http::Request& req) {
  HttpRequest out;
  out.method = Http::methodString(req.method());
  out.path = req.resource();
  const auto& q = req.query();
  for (auto it = q.parameters_begin(); it != q.parameters_end(); ++it)
    out.query[PercentDecode(it->first)] = PercentDecode(it->second);
  // One stream for all typed headers: constructing an ostringstream per header costs more than
  // the rest of the conversion.
  std::ostringstream v;
  for (const auto& h : req.headers().list()) {
    v.str(std::string());
    h->write(v);
    out.headers.Add(h->name(), v.str());
  }
  for (const auto& [name, raw] : req.headers().rawList()) out.headers.Add(raw.name(), raw.value());
  out.body = req.body();
  return out;
}

// Shared by the server and its handler (Pistache clones handlers per thread).
struct DrainState {
  std::atomic<bool> draining{false};
  std::atomic<int64_t> in_flight{0};  // dispatched and not yet answered
};

class Handler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)
  Handler(const Router* router, std::shared_ptr<DrainState> drain)
      : router_(router), drain_(std::move(drain)) {}

  void onRequest(const Http::Request& req, Http::ResponseWriter response) override {
    HttpRequest request = ToRequest(req);
    const bool draining = drain_->draining.load();
    const bool keep_alive = !draining && KeepAlive(req);
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    Reply reply = [writer, keep_alive, drain = drain_](HttpResponse r) {
      Send(*writer, keep_alive, std::move(r));
      drain->in_flight.fetch_sub(1);
    };
    drain_->in_flight.fetch_add(1);
    if (draining) {
      writer->headers().remove<Http::Header::Connection>();
      writer->headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
      return reply(ErrorResponse(
          Status(ErrorKind::kUnavailable, "shutting_down", "hookd is shutting down; retry later")));
    }
    router_->Dispatch(request, reply);
  }

 private:
  static void Send(Http::ResponseWriter& writer_ref, bool keep_alive, HttpResponse r) {
    auto* writer = &writer_ref;
    auto& headers = writer->headers();
    if (keep_alive) {
      headers.remove<Http::Header::Connection>();
      headers.add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    }
    for (auto& [name, value] : r.headers)
      headers.add(std::make_shared<NamedHeader>(std::move(name), std::move(value)));
    // Pistache only announces "Connection: Close"; it leaves the socket open. Half-close it
    // once the response is written, so the FIN follows the response (no reset of unread data).
    std::weak_ptr<Tcp::Peer> peer = keep_alive ? nullptr : writer->getPeer();
    writer->send(static_cast<Http::Code>(r.status), r.body, MediaTypeOf(r.content_type))
        .then(
            [peer](ssize_t) {
              if (auto p = peer.lock()) ::shutdown(p->fd(), SHUT_WR);
            },
            Async::IgnoreException);
  }

  const Router* router_;
  std::shared_ptr<DrainState> drain_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  const Router& router;
  std::unique_ptr<Http::Endpoint> endpoint;
  std::shared_ptr<DrainState> drain = std::make_shared<DrainState>();
  bool running = false;
};

HttpServer::HttpServer(HttpServerOptions options, const Router& router)
    : impl_(new Impl{std::move(options), router, nullptr}) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  try {
    Address addr(impl_->options.host, Port(impl_->options.port));
    impl_->endpoint = std::make_unique<Http::Endpoint>(addr);
    auto opts = Http::Endpoint::options()
                    .threads(impl_->options.threads)
                    .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                    .maxRequestSize(impl_->options.max_body_bytes + 64 * 1024)
                    .maxResponseSize(64 * 1024 * 1024);
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(Http::make_handler<Handler>(&impl_->router, impl_->drain));
    impl_->endpoint->serveThreaded();
    impl_->running = true;
  } catch (const std::exception& e) {
    return Status::Unavailable("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(impl_->options.port) + ": " + e.what());
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const {
  return impl_->endpoint ? static_cast<uint16_t>(impl_->endpoint->getPort()) : 0;
}

void HttpServer::BeginDrain() { impl_->drain->draining.store(true); }

bool HttpServer::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->drain->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void HttpServer::Stop() {
  if (impl_->running) {
    impl_->endpoint->shutdown();
    impl_->running = false;
  }
}

}  // namespace hookd
