#include "deliver/async_http_sender.h"

#include "deliver/outbound_http.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <deque>
#include <filesystem>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hookd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using std::chrono::steady_clock;

namespace {

constexpr const char* kCaBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr const char* kStopped = "cancelled: the sender is stopping";

// The process (or the system) has no descriptor left for a new socket.
bool IsOutOfDescriptors(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system;
}
// Body bytes are decoded into this much at a time (the 64 KiB cap is checked after each chunk).
constexpr size_t kBodyChunk = 4 * 1024;

// Endpoint headers are validated at registration; this keeps a bad one from splitting the
// request anyway (cpp-httplib drops such headers too).
bool IsWritableHeader(const std::string& name, const std::string& value) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ':') return false;
  }
  // No control character but HTAB (as the endpoint API refuses them; rows stored before it did
  // may still hold some).
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

int64_t MillisSince(steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start).count();
}

tcp::endpoint ToEndpoint(const IpAddress& addr, uint16_t port) {
  if (addr.v6) {
    asio::ip::address_v6::bytes_type bytes;
    std::copy(addr.bytes.begin(), addr.bytes.end(), bytes.begin());
    return tcp::endpoint(asio::ip::address_v6(bytes), port);
  }
  asio::ip::address_v4::bytes_type bytes;
  std::copy(addr.bytes.begin(), addr.bytes.begin() + 4, bytes.begin());
  return tcp::endpoint(asio::ip::address_v4(bytes), port);
}

// One connection, plain or TLS, with the bytes read past the last response.
struct Connection {
  Connection(asio::io_context& io, ssl::context* tls_context) {
    if (tls_context) {
      tls.emplace(io, *tls_context);
    } else {
      plain.emplace(io);
    }
  }
  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
  // Calls f with the stream the HTTP bytes go through.
  template <class F>
  void With(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }

  std::optional<tcp::socket> plain;
  std::optional<beast::ssl_stream<tcp::socket>> tls;
  beast::flat_buffer buffer{AsyncHttpSender::kMaxHeaderRead};
};

// An idle keep-alive socket should have nothing to read: readable means the peer closed it (or
// sent something unasked for), and either way it is not worth reusing.
bool IdleSocketLooksAlive(Connection& conn) {
  tcp::socket& s = conn.socket();
  if (!s.is_open()) return false;
  pollfd pfd{};
  pfd.fd = s.native_handle();
  pfd.events = POLLIN;
  return ::poll(&pfd, 1, 0) == 0;
}

// Idle keep-alive connections per (pool key, address dialled); oldest first. Thread-safe.
class IdlePool {
 public:
  IdlePool(size_t max_per_key, size_t max_total)
      : max_per_key_(std::max<size_t>(1, max_per_key)), max_total_(max_total) {}

  // A live idle connection for `key` to `address`, or null.
  std::unique_ptr<Connection> Take(const std::string& key, const std::string& address) {
    for (;;) {
      std::unique_ptr<Connection> conn;
      std::vector<std::unique_ptr<Connection>> dropped;  // closed after unlocking
      {
        std::lock_guard<std::mutex> lock(mu_);
        DropOldLocked(dropped);
        auto by_key = by_key_.find(key);
        if (by_key != by_key_.end()) {
          auto& its = by_key->second;
          // Most recently used first: the likeliest to still be open at the other end.
          for (auto rit = its.rbegin(); rit != its.rend(); ++rit) {
            if ((*rit)->address != address) continue;
            auto it = *rit;
            conn = std::move(it->conn);
            its.erase(std::next(rit).base());
            if (its.empty()) by_key_.erase(by_key);
            idle_.erase(it);
            break;
          }
        }
      }
      dropped.clear();
      if (!conn) return nullptr;
      if (IdleSocketLooksAlive(*conn)) return conn;
      // The peer closed it while idle; try the next one.
    }
  }

  void Put(const std::string& key, const std::string& address, std::unique_ptr<Connection> conn) {
    std::vector<std::unique_ptr<Connection>> dropped;  // closed after unlocking
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(Idle{key, address, std::move(conn), steady_clock::now()});
    auto& its = by_key_[key];
    its.push_back(std::prev(idle_.end()));
    if (its.size() > max_per_key_) EvictLocked(its.front(), dropped);
    while (idle_.size() > max_total_) EvictLocked(idle_.begin(), dropped);
    DropOldLocked(dropped);
    // `dropped` is destroyed after `lock` (declared first), i.e. outside the mutex.
  }

  void Clear() {
    std::list<Idle> idle;  // closed after unlocking
    std::lock_guard<std::mutex> lock(mu_);
    by_key_.clear();
    idle.swap(idle_);
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return idle_.size();
  }

 private:
  struct Idle {
    std::string key;
    std::string address;
    std::unique_ptr<Connection> conn;
    steady_clock::time_point since;
  };

  void EvictLocked(std::list<Idle>::iterator it,
                   std::vector<std::unique_ptr<Connection>>& dropped) {
    auto by_key = by_key_.find(it->key);
    if (by_key != by_key_.end()) {
      auto& its = by_key->second;
      its.erase(std::remove(its.begin(), its.end(), it), its.end());
      if (its.empty()) by_key_.erase(by_key);
    }
    dropped.push_back(std::move(it->conn));
    idle_.erase(it);
  }
  void DropOldLocked(std::vector<std::unique_ptr<Connection>>& dropped) {
    const auto too_old = steady_clock::now() - AsyncHttpSender::kMaxIdleAge;
    while (!idle_.empty() && idle_.front().since < too_old) EvictLocked(idle_.begin(), dropped);
  }

  const size_t max_per_key_;
  const size_t max_total_;
  mutable std::mutex mu_;
  std::list<Idle> idle_;  // GUARDED_BY(mu_), oldest first
  std::unordered_map<std::string, std::vector<std::list<Idle>::iterator>> by_key_;  // GUARDED_BY
};

}  // namespace

// The state attempts share with the sender; attempts hold it, so it outlives the sender object
// while they unwind.
struct AsyncHttpSender::Core {
  Core(asio::io_context& io_context, SsrfGuard& ssrf_guard, std::string agent,
       const AsyncHttpSenderOptions& options)
      : io(io_context),
        guard(ssrf_guard),
        user_agent(std::move(agent)),
        max_in_flight(std::max<size_t>(1, options.max_in_flight)),
        tls(ssl::context::tls_client),
        pool(options.max_idle_per_origin, options.max_idle_total),
        resolvers(std::max<size_t>(1, options.resolver_threads)) {}

  // Runs `attempt` now if a slot is free, else queues it. False when stopping.
  bool Admit(const std::shared_ptr<Attempt>& attempt);
  // The attempt that held a slot has finished: frees the slot and starts the next queued one.
  void Release(Attempt* attempt);

  asio::io_context& io;
  SsrfGuard& guard;  // used only by SendAsync and on `resolvers`, which the sender joins
  const std::string user_agent;
  const size_t max_in_flight;
  ssl::context tls;  // set up in the sender's constructor, read-only after
  IdlePool pool;
  asio::thread_pool resolvers;

  mutable std::mutex mu;
  bool stopping = false;                         // GUARDED_BY(mu)
  size_t running_count = 0;                      // GUARDED_BY(mu)
  std::list<std::shared_ptr<Attempt>> running;   // GUARDED_BY(mu)
  std::deque<std::shared_ptr<Attempt>> waiting;  // GUARDED_BY(mu), FIFO
};

// One attempt: a chain of completion handlers on its own strand; every handler holds the attempt
// alive. finished_ is set once `done` has been called; later completions just return.
class AsyncHttpSender::Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(std::shared_ptr<Core> core, OutboundRequest request, std::chrono::milliseconds deadline,
          Done done)
      : core_(std::move(core)),
        request_(std::move(request)),
        deadline_(deadline),
        done_(std::move(done)),
        strand_(asio::make_strand(core_->io)),
        timer_(strand_),
        key_(PoolKey(request_)) {}

  void set_dial(const IpAddress& address) { dial_ = address; }

  // Leaves the queue (or starts at once): the deadline starts now.
  void Start() {
    asio::post(strand_, [self = shared_from_this()] { self->OnStart(); });
  }
  // Ends the attempt with an error unless it has finished already (Stop()).
  void Abort() {
    asio::post(strand_, [self = shared_from_this()] { self->Fail(kStopped); });
  }

  std::list<std::shared_ptr<Attempt>>::iterator running_it;  // GUARDED_BY(core_->mu)
  bool holds_slot = false;                                   // GUARDED_BY(core_->mu)

 private:
  template <class F>
  auto OnStrand(F&& f) {
    return asio::bind_executor(strand_, std::forward<F>(f));
  }
  std::string Where() const { return address_ + " port " + std::to_string(request_.url.port); }

  void OnStart() {
    if (finished_) return;
    start_ = steady_clock::now();
    timer_.expires_at(start_ + deadline_);
    timer_.async_wait(OnStrand([self = shared_from_this()](error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      self->Fail(self->TimeoutMessage());
    }));
    if (dial_) {
      OnAddress(*dial_);
      return;
    }
    // getaddrinfo blocks: resolve on the resolver pool, then come back to the strand. A resolve
    // that outlives the deadline is ignored when it returns.
    asio::post(core_->resolvers, [weak = weak_from_this()] {
      std::shared_ptr<Attempt> self = weak.lock();
      if (!self || self->finished_flag_.load()) return;
      Result<IpAddress> dial = self->core_->guard.AddressToDial(self->request_.url);
      asio::post(self->strand_, [self, dial = std::move(dial)] {
        if (self->finished_) return;
        if (!dial.ok()) return self->Fail(dial.status().message());
        self->OnAddress(*dial);
      });
    });
  }

  std::string TimeoutMessage() const {
    const std::string where = address_.empty()
                                  ? request_.url.host + " port " + std::to_string(request_.url.port)
                                  : Where();
    return "timeout: no complete response from " + where + " within " +
           std::to_string(deadline_.count()) + " ms";
  }

  void OnAddress(const IpAddress& address) {
    address_ = address.ToString();
    endpoint_ = ToEndpoint(address, request_.url.port);
    BuildRequest();
    conn_ = core_->pool.Take(key_, address_);
    if (conn_) {
      reused_ = true;
      Write();
    } else {
      Connect();
    }
  }

  void BuildRequest() {
    const EndpointUrl& url = request_.url;
    req_.method(http::verb::post);
    req_.target(url.target);
    req_.version(11);
    bool has_accept = false;
    for (const auto& [name, value] : request_.headers) {
      if (IsReservedHeader(name) || !IsWritableHeader(name, value)) continue;
      has_accept = has_accept || EqualsLower(name, "accept");
      req_.insert(name, value);
    }
    req_.set(http::field::host, HostHeader(url));
    if (!has_accept) req_.set(http::field::accept, "*/*");
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::user_agent, core_->user_agent);
    req_.body() = request_.body;
    req_.prepare_payload();
  }

  void Connect() {
    reused_ = false;
    conn_ = std::make_unique<Connection>(core_->io,
                                         request_.url.scheme == "https" ? &core_->tls : nullptr);
    conn_->socket().async_connect(endpoint_, OnStrand([self = shared_from_this()](error_code ec) {
                                    if (self->finished_) return;
                                    if (IsOutOfDescriptors(ec)) return self->FailLocally(ec);
                                    if (ec)
                                      return self->Fail("could not connect to " + self->Where());
                                    self->OnConnected();
                                  }));
  }

  void OnConnected() {
    error_code ignored;
    conn_->socket().set_option(tcp::no_delay(true), ignored);  // else Nagle + delayed ACK
    if (!conn_->tls) return Write();
    const std::string& host = request_.url.host;
    SSL* ssl = conn_->tls->native_handle();
    // SNI carries a host name, never an IP literal (RFC 6066, section 3).
    if (!ParseIpLiteral(host) && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
      return Fail("TLS handshake with " + Where() + " failed");
    }
    conn_->tls->set_verify_mode(ssl::verify_peer);
    conn_->tls->set_verify_callback(ssl::host_name_verification(host));
    conn_->tls->async_handshake(
        ssl::stream_base::client, OnStrand([self = shared_from_this()](error_code ec) {
          if (self->finished_) return;
          if (ec) {
            const long verify = SSL_get_verify_result(self->conn_->tls->native_handle());
            if (verify != X509_V_OK) {
              return self->Fail("TLS certificate verification failed for " + self->Where() + " (" +
                                X509_verify_cert_error_string(verify) + ")");
            }
            return self->Fail("TLS handshake with " + self->Where() + " failed");
          }
          self->Write();
        }));
  }

  void Write() {
    conn_->With([&](auto& stream) {
      http::async_write(stream, req_, OnStrand([self = shared_from_this()](error_code ec, size_t) {
                          if (self->finished_) return;
                          if (ec) {
                            if (self->RetryStale()) return;
                            return self->Fail("could not send the request to " + self->Where());
                          }
                          self->ReadHeader();
                        }));
    });
  }

  // A reused connection that failed before any byte of the response arrived: the receiver
  // probably closed it as it was taken from the pool. Once, on a fresh connection.
  bool RetryStale() {
    if (!reused_ || retried_) return false;
    if (parser_ && (parser_->got_some() || conn_->buffer.size() > 0)) return false;
    retried_ = true;
    parser_.reset();
    conn_.reset();  // no operation is pending on it
    Connect();
    return true;
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(AsyncHttpSender::kMaxHeaderRead));
    // Capped here instead, with the first bytes kept. (Not boost::none: Boost 1.74's parser
    // compares a Content-Length against the optional and then refuses every body.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    conn_->With([&](auto& stream) {
      http::async_read_header(stream, conn_->buffer, *parser_,
                              OnStrand([self = shared_from_this()](error_code ec, size_t) {
                                if (self->finished_) return;
                                if (ec) {
                                  if (self->RetryStale()) return;
                                  return self->Fail("connection to " + self->Where() +
                                                    " closed or failed before a complete response");
                                }
                                const unsigned status = self->parser_->get().result_int();
                                if (status >= 100 && status < 200 && status != 101)
                                  return self->ReadHeader();
                                if (self->parser_->is_done()) return self->Complete(false);
                                self->chunk_ = std::make_unique<char[]>(kBodyChunk);
                                self->ReadBody();
                              }));
    });
  }

  void ReadBody() {
    auto& body = parser_->get().body();
    body.data = chunk_.get();
    body.size = kBodyChunk;
    conn_->With([&](auto& stream) {
      http::async_read(stream, conn_->buffer, *parser_,
                       OnStrand([self = shared_from_this()](error_code ec, size_t) {
                         if (self->finished_) return;
                         if (ec == http::error::need_buffer) ec = {};
                         if (ec) {
                           return self->Fail("connection to " + self->Where() +
                                             " closed or failed before a complete response");
                         }
                         const size_t n = kBodyChunk - self->parser_->get().body().size;
                         if (self->body_.size() < AsyncHttpSender::kMaxBodyKept) {
                           self->body_.append(
                               self->chunk_.get(),
                               std::min(n, AsyncHttpSender::kMaxBodyKept - self->body_.size()));
                         }
                         self->body_read_ += n;
                         if (self->body_read_ > AsyncHttpSender::kMaxBodyRead)
                           return self->Complete(true);
                         if (self->parser_->is_done()) return self->Complete(false);
                         self->ReadBody();
                       }));
    });
  }

  // A response arrived (complete, or with a body over the cap).
  void Complete(bool capped) {
    SendResult result;
    const auto& res = parser_->get();
    result.status = static_cast<int>(res.result_int());
    result.body = std::move(body_);
    if (auto it = res.find(http::field::retry_after); it != res.end()) {
      result.retry_after = std::string(it->value());
    }
    // A capped body leaves unread bytes on the connection; so would unasked-for extra bytes.
    if (!capped && parser_->keep_alive() && conn_->buffer.size() == 0) {
      core_->pool.Put(key_, address_, std::move(conn_));
    }
    Finish(std::move(result));
  }

  void Fail(std::string error) {
    SendResult result;
    result.error = std::move(error);
    Finish(std::move(result));
  }

  // hookd could not open a socket: the receiver is not at fault.
  void FailLocally(const error_code& ec) {
    SendResult result;
    result.error = "hookd could not open a connection: " + ec.message();
    result.local_failure = true;
    Finish(std::move(result));
  }

  void Finish(SendResult result) {
    if (finished_) return;
    finished_ = true;
    finished_flag_.store(true);
    timer_.cancel();
    // Cuts whatever is pending on the socket; its handler runs later and sees finished_. The
    // connection object stays with the attempt until then.
    if (conn_) {
      error_code ignored;
      conn_->socket().close(ignored);
    }
    result.duration_ms = MillisSince(start_);
    core_->Release(this);
    Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

  const std::shared_ptr<Core> core_;
  const OutboundRequest request_;
  const std::chrono::milliseconds deadline_;
  Done done_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  const std::string key_;
  std::optional<IpAddress> dial_;  // set before Start() for IP literals

  // Below: only on strand_. start_ is reset when the attempt leaves the queue.
  steady_clock::time_point start_ = steady_clock::now();
  bool finished_ = false;
  std::atomic<bool> finished_flag_{false};  // finished_, for the resolver threads
  std::string address_;
  tcp::endpoint endpoint_;
  std::unique_ptr<Connection> conn_;
  bool reused_ = false;
  bool retried_ = false;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::unique_ptr<char[]> chunk_;
  std::string body_;
  size_t body_read_ = 0;
};

bool AsyncHttpSender::Core::Admit(const std::shared_ptr<Attempt>& attempt) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return false;
    if (running_count >= max_in_flight) {
      waiting.push_back(attempt);
      return true;
    }
    ++running_count;
    attempt->holds_slot = true;
    attempt->running_it = running.insert(running.end(), attempt);
  }
  attempt->Start();
  return true;
}

void AsyncHttpSender::Core::Release(Attempt* attempt) {
  std::shared_ptr<Attempt> next;
  std::shared_ptr<Attempt> finished;  // dropped after unlocking
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!attempt->holds_slot) return;
    attempt->holds_slot = false;
    finished = std::move(*attempt->running_it);
    running.erase(attempt->running_it);
    --running_count;
    if (!stopping && !waiting.empty()) {
      next = std::move(waiting.front());
      waiting.pop_front();
      ++running_count;
      next->holds_slot = true;
      next->running_it = running.insert(running.end(), next);
    }
  }
  if (next) next->Start();
}

AsyncHttpSender::AsyncHttpSender(asio::io_context& io, SsrfGuard& guard, std::string user_agent,
                                 AsyncHttpSenderOptions options)
    : core_(std::make_shared<Core>(io, guard, std::move(user_agent), options)) {
  // OpenSSL's default paths (on Debian its cert.pem is the system bundle, loaded here once);
  // the bundle by name only when that file is missing, since loading it costs ~0.1 s.
  error_code ec;
  core_->tls.set_default_verify_paths(ec);
  std::error_code fs_ec;
  if (!std::filesystem::is_regular_file(X509_get_default_cert_file(), fs_ec) &&
      std::filesystem::is_regular_file(kCaBundle, fs_ec)) {
    core_->tls.load_verify_file(kCaBundle, ec);
  }
  if (!options.extra_ca_file.empty()) core_->tls.load_verify_file(options.extra_ca_file);
  core_->tls.set_verify_mode(ssl::verify_peer);
}

AsyncHttpSender::~AsyncHttpSender() {
  Stop();
  // After this no resolver task touches the guard; tasks posted later never run.
  core_->resolvers.stop();
  core_->resolvers.join();
}

void AsyncHttpSender::SendAsync(OutboundRequest request, std::chrono::milliseconds deadline,
                                Done done) {
  const auto refuse = [&](std::string error, steady_clock::time_point start) {
    SendResult result;
    result.error = std::move(error);
    result.duration_ms = MillisSince(start);
    done(std::move(result));
  };
  const auto start = steady_clock::now();
  std::optional<IpAddress> dial;
  // A literal needs no DNS: checked here, and refused inline.
  if (ParseIpLiteral(request.url.host)) {
    Result<IpAddress> checked = core_->guard.AddressToDial(request.url);
    if (!checked.ok()) return refuse(checked.status().message(), start);
    dial = *checked;
  }
  auto attempt = std::make_shared<Attempt>(core_, std::move(request), deadline, done);
  if (dial) attempt->set_dial(*dial);
  if (!core_->Admit(attempt)) refuse(kStopped, start);
}

void AsyncHttpSender::Stop() {
  std::list<std::shared_ptr<Attempt>> running;
  std::deque<std::shared_ptr<Attempt>> waiting;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->stopping = true;
    running = core_->running;  // copies: they leave `running` as they finish
    waiting.swap(core_->waiting);
  }
  for (auto& attempt : waiting) attempt->Abort();
  for (auto& attempt : running) attempt->Abort();
  core_->pool.Clear();
}

size_t AsyncHttpSender::in_flight() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->running_count;
}

size_t AsyncHttpSender::queued() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->waiting.size();
}

size_t AsyncHttpSender::max_in_flight() const { return core_->max_in_flight; }

size_t AsyncHttpSender::IdleConnections() const { return core_->pool.size(); }

}  // namespace hookd
