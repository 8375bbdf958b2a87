#include "cli/listen.h"

#include <signal.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/local_forwarder.h"
#include "cli/stream_base.h"
#include "common/http_types.h"
#include "common/time_format.h"

namespace hookd::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;

std::atomic<int> g_interrupts{0};
void OnInterrupt(int) { g_interrupts.fetch_add(1); }

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HeaderOf(const ListenDelivery& d, std::string_view name) {
  for (const auto& [k, v] : d.headers)
    if (EqualsIgnoreCase(k, name)) return v;
  return "";
}

// How one connection ended.
enum class End {
  kGoodbye,      // Ctrl-C: hookd removed the endpoint
  kInterrupted,  // Ctrl-C while not connected, or twice
  kDropped,      // the socket went after hookd was ready: reconnect
  kRefused,      // hookd said no (the line is printed)
  kUnreachable,  // no connection or no answer before ready
};

// What the whole command shares between its connections: the output (one writer at a time),
// and which connection the forwarder's results go to.
struct Shared {
  Shared(std::ostream& o, std::ostream& e) : out(o), err(e) {}
  std::mutex mu;
  std::ostream& out;
  std::ostream& err;
  bool json_lines = false;
  uint64_t generation = 0;                       // the connection now up (guarded by mu)
  std::function<void(std::string)> send_result;  // to it (guarded by mu)

  void Print(std::ostream& to, const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    to << line << "\n";
    to.flush();
  }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, const StreamTarget& target, const std::string& token,
             ListenHello& hello, LocalForwarder& forwarder, Shared& shared, uint64_t generation)
      : io_(io),
        resolver_(io),
        ws_(io),
        signal_timer_(io),
        goodbye_timer_(io),
        target_(target),
        token_(token),
        hello_(hello),
        forwarder_(forwarder),
        shared_(shared),
        generation_(generation) {}

  void Start() {
    auto self = shared_from_this();
    WatchSignals();
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    resolver_.async_resolve(
        target_.host, target_.port,
        [self](beast::error_code ec, const tcp::resolver::results_type& addresses) {
          if (ec) return self->End_(End::kUnreachable);
          beast::get_lowest_layer(self->ws_).async_connect(
              addresses, [self](beast::error_code ec, const tcp::endpoint&) {
                if (ec) return self->End_(End::kUnreachable);
                self->Handshake();
              });
        });
  }

  End outcome() const { return outcome_.value_or(End::kDropped); }
  bool was_ready() const { return ready_; }

  // A result from the forwarder for this connection (on the io thread).
  void SendResult(std::string frame) {
    if (!closed_) Write(std::move(frame));
  }

 private:
  void Handshake() {
    auto self = shared_from_this();
    ws_.set_option(websocket::stream_base::decorator([token = token_](websocket::request_type& r) {
      if (!token.empty()) r.set(http::field::authorization, "Bearer " + token);
      r.set(http::field::user_agent, "hookd-listen");
    }));
    ws_.async_handshake(response_, target_.host + ":" + target_.port, "/api/v1/listen",
                        [self](beast::error_code ec) {
                          if (ec) {
                            const int status = self->response_.result_int();
                            if (status != 0 && status != 101) {
                              self->shared_.Print(
                                  self->shared_.err,
                                  "hookd: " + DescribeError({status, self->response_.body()}));
                              return self->End_(End::kRefused);
                            }
                            return self->End_(End::kUnreachable);
                          }
                          self->OnOpen();
                        });
  }

  void OnOpen() {
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::seconds(45);  // hookd pings every 15 s by default
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(16 << 20);  // a delivery carries a body of up to hookd's max body
    ws_.text(true);
    Write(ListenHelloFrame(hello_));
    Read();
  }

  void Read() {
    auto self = shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code ec, size_t) {
      if (ec) return self->End_(self->ready_ ? End::kDropped : End::kUnreachable);
      const std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->OnFrame(text);
      if (!self->closed_) self->Read();
    });
  }

  void OnFrame(const std::string& text) {
    auto frame = ParseListenServerFrame(text);
    if (!frame.ok()) {
      shared_.Print(shared_.err, "hookd: unexpected frame from hookd: " + frame.status().message());
      return End_(End::kRefused);
    }
    switch (frame->type) {
      case ListenServerFrame::Type::kReady:
        OnReady(frame->ready);
        return;
      case ListenServerFrame::Type::kDelivery:
        forwarder_.Submit(generation_, std::move(frame->delivery));
        return;
      case ListenServerFrame::Type::kClosed:
        shared_.Print(shared_.err,
                      "hookd: endpoint " + hello_.endpoint_id.value_or("") + " removed" +
                          (frame->failed ? "; " + std::to_string(frame->failed) +
                                               " deliveries still waiting for it ended failed"
                                         : std::string()));
        return End_(End::kGoodbye);
      case ListenServerFrame::Type::kError:
        shared_.Print(shared_.err, "hookd: " + frame->code + ": " + frame->text);
        return End_(End::kRefused);
    }
  }

  void OnReady(const ListenReady& ready) {
    const bool resumed = ready.resumed && hello_.endpoint_id == ready.endpoint_id;
    hello_.endpoint_id = ready.endpoint_id;
    ready_ = true;
    {
      std::lock_guard<std::mutex> lock(shared_.mu);
      shared_.generation = generation_;
      std::weak_ptr<Connection> weak = shared_from_this();
      shared_.send_result = [weak, &io = io_](std::string frame) {
        asio::post(io, [weak, frame = std::move(frame)]() mutable {
          if (auto c = weak.lock()) c->SendResult(std::move(frame));
        });
      };
    }
    if (resumed) {
      shared_.Print(shared_.err, "hookd: reconnected; resuming endpoint " + ready.endpoint_id);
      return;
    }
    if (shared_.json_lines) {
      shared_.Print(shared_.out, json{{"type", "ready"},
                                      {"endpoint_id", ready.endpoint_id},
                                      {"app_id", ready.app_id},
                                      {"secret", ready.secret},
                                      {"forward_to", hello_.forward_to}}
                                     .dump());
    } else {
      shared_.Print(shared_.out, "Ready: endpoint " + ready.endpoint_id + " (" + ready.app_id +
                                     ") forwards to " + hello_.forward_to +
                                     " (Ctrl-C to stop)\nWebhook signing secret: " + ready.secret);
    }
  }

  void Write(std::string frame) {
    writes_.push_back(std::move(frame));
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (writes_.empty() || closed_) return;
    writing_ = true;
    auto self = shared_from_this();
    ws_.async_write(asio::buffer(writes_.front()), [self](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->writes_.pop_front();
      if (ec) return self->End_(self->ready_ ? End::kDropped : End::kUnreachable);
      self->WriteNext();
    });
  }

  // Ctrl-C: a goodbye when connected (hookd removes the endpoint), at most 5 s for its answer.
  void WatchSignals() {
    signal_timer_.expires_after(std::chrono::milliseconds(100));
    signal_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      const int n = g_interrupts.load();
      if (n >= 2 || (n == 1 && !self->ready_)) return self->End_(End::kInterrupted);
      if (n == 1 && !self->goodbye_sent_) {
        self->goodbye_sent_ = true;
        self->Write(ListenCloseFrame());
        self->goodbye_timer_.expires_after(std::chrono::seconds(5));
        self->goodbye_timer_.async_wait([self](beast::error_code ec) {
          if (!ec) self->End_(End::kInterrupted);
        });
      }
      self->WatchSignals();
    });
  }

  void End_(End how) {
    if (closed_) return;
    closed_ = true;
    outcome_ = how;
    {
      std::lock_guard<std::mutex> lock(shared_.mu);
      if (shared_.generation == generation_) shared_.send_result = nullptr;
    }
    signal_timer_.cancel();
    goodbye_timer_.cancel();
    resolver_.cancel();
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    // The websocket's own idle timer would keep run() going until it fires.
    io_.stop();
  }

  asio::io_context& io_;
  tcp::resolver resolver_;
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer signal_timer_;
  asio::steady_timer goodbye_timer_;
  const StreamTarget& target_;
  const std::string& token_;
  ListenHello& hello_;
  LocalForwarder& forwarder_;
  Shared& shared_;
  const uint64_t generation_;
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<std::string> writes_;
  bool writing_ = false;
  bool ready_ = false;
  bool goodbye_sent_ = false;
  bool closed_ = false;
  std::optional<End> outcome_;
};

// Sleeps `ms`, waking early on Ctrl-C; true when interrupted.
bool SleepInterruptibly(int ms) {
  for (int waited = 0; waited < ms; waited += 50) {
    if (g_interrupts.load() > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return g_interrupts.load() > 0;
}

std::vector<std::string> CommaList(const std::optional<std::string>& v) {
  std::vector<std::string> out;
  if (!v) return out;
  std::stringstream ss(*v);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

std::string ListenLine(const ListenDelivery& d, const ListenResult& r, int64_t now_s) {
  const std::string at = FormatRfc3339(now_s * 1000);
  std::string line = (at.size() >= 19 ? at.substr(11, 8) : at) + " " +
                     HeaderOf(d, "hookd-event-type") + " " + HeaderOf(d, "webhook-id") + " -> ";
  if (r.status > 0)
    line += std::to_string(r.status);
  else
    line += "error: " + r.error;
  return line + " (" + std::to_string(r.duration_ms) + " ms)";
}

std::string ListenJsonLine(const ListenDelivery& d, const ListenResult& r, int64_t now_s) {
  json j = {{"type", "delivery"},
            {"at", FormatRfc3339(now_s * 1000)},
            {"message_id", HeaderOf(d, "webhook-id")},
            {"event_type", HeaderOf(d, "hookd-event-type")},
            {"status", r.status},
            {"duration_ms", r.duration_ms}};
  if (!r.error.empty()) j["error"] = r.error;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

int RunListen(const Args& args, ApiClient& api, std::ostream& out, std::ostream& err) {
  if (!args.positional.empty() || !args.Has("--forward-to")) return 2;
  auto local = ParseLocalUrl(*args.Get("--forward-to"));
  if (!local.ok()) {
    err << "hookd listen: " << local.status().message() << "\n";
    return 2;
  }
  ListenHello hello;
  hello.forward_to = local->origin + local->path;
  hello.events = CommaList(args.Get("--events"));
  std::vector<std::string> sources;
  if (auto it = args.lists.find("--source"); it != args.lists.end())
    for (const std::string& v : it->second)
      for (const std::string& s : CommaList(v)) sources.push_back(s);
  hello.source_ids = std::move(sources);
  hello.app = args.Get("--app");
  if (auto n = args.Get("--max-concurrency")) {
    int v = 0;
    try {
      v = std::stoi(*n);
    } catch (...) {
    }
    if (v < 1 || v > kListenMaxConcurrency) {
      err << "hookd listen: --max-concurrency must be 1.." << kListenMaxConcurrency << "\n";
      return 2;
    }
    hello.max_concurrency = v;
  }
  auto target = FetchStreamTarget(api, "listen");
  if (!target.ok()) {
    err << "hookd: " << target.status().message() << "\n";
    return 1;
  }

  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  Shared shared(out, err);
  shared.json_lines = args.Has("--json");
  LocalForwarder forwarder(
      *local, hello.max_concurrency, std::chrono::seconds(10),
      [&shared](uint64_t generation, const ListenDelivery& d, ListenResult r) {
        const int64_t now = NowSeconds();
        const std::string line =
            shared.json_lines ? ListenJsonLine(d, r, now) : ListenLine(d, r, now);
        bool reported = false;
        {
          std::lock_guard<std::mutex> lock(shared.mu);
          if (shared.generation == generation && shared.send_result) {
            shared.send_result(ListenResultFrame(r));
            reported = true;
          }
        }
        shared.Print(shared.out,
                     reported ? line : line + " (not reported: the connection to hookd dropped)");
      });

  bool ever_ready = false;
  int tries = 0;
  for (uint64_t generation = 1;; ++generation) {
    asio::io_context io;
    auto c = std::make_shared<Connection>(io, *target, api.config().token, hello, forwarder, shared,
                                          generation);
    c->Start();
    io.run();
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.send_result = nullptr;  // results of this connection have nowhere to go now
    }
    ever_ready = ever_ready || c->was_ready();
    switch (c->outcome()) {
      case End::kGoodbye:
        return 0;
      case End::kRefused:
        return 1;
      case End::kInterrupted:
        if (hello.endpoint_id)
          shared.Print(err, "hookd: stopped without a goodbye; hookd removes endpoint " +
                                *hello.endpoint_id + " when its grace ends");
        return 0;
      case End::kUnreachable:
        if (!ever_ready) {
          shared.Print(err, "hookd: cannot reach hookd's stream listener at " + target->base);
          return 1;
        }
        ++tries;
        break;
      case End::kDropped:
        tries = 0;
        shared.Print(err, "hookd: the connection to hookd dropped; reconnecting");
        break;
    }
    if (SleepInterruptibly(std::min(250 << std::min(tries, 4), 4000))) {
      shared.Print(err, "hookd: stopped while reconnecting; hookd removes endpoint " +
                            hello.endpoint_id.value_or("") + " when its grace ends");
      return 0;
    }
  }
}

}  // namespace hookd::cli
