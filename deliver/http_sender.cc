#include "deliver/http_sender.h"

#include "deliver/outbound_http.h"

#include <httplib.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <system_error>
#include <thread>
#include <utility>

namespace hookd {

namespace {

using std::chrono::steady_clock;

constexpr const char* kCaBundle = "/etc/ssl/certs/ca-certificates.crt";
constexpr std::chrono::microseconds kIoTimeoutSlack{50'000};

bool HasCaBundle() {
  std::error_code ec;
  return std::filesystem::is_regular_file(kCaBundle, ec);
}

// An idle keep-alive socket should have nothing to read: readable means the peer closed it (or
// sent something unasked for), and either way it is not worth reusing.
bool IdleSocketLooksAlive(httplib::ClientImpl& client) {
  if (!client.is_socket_open()) return false;
  pollfd pfd{};
  pfd.fd = client.socket();
  pfd.events = POLLIN;
  if (pfd.fd < 0) return false;
  return ::poll(&pfd, 1, 0) == 0;
}

std::string DescribeError(httplib::Error error, const std::string& address, uint16_t port) {
  const std::string where = address + " port " + std::to_string(port);
  switch (error) {
    case httplib::Error::Connection:
      return "could not connect to " + where;
    case httplib::Error::ConnectionTimeout:
      return "timeout connecting to " + where;
    case httplib::Error::SSLConnection:
      return "TLS handshake with " + where + " failed";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed for " + where;
    case httplib::Error::SSLLoadingCerts:
      return "could not load the CA certificates";
    case httplib::Error::Read:
      return "connection to " + where + " closed or failed before a complete response";
    case httplib::Error::Write:
      return "could not send the request to " + where;
    default:
      return "request to " + where + " failed: " + httplib::to_string(error);
  }
}

int64_t MillisSince(steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - start).count();
}

}  // namespace

// One thread that shuts down the socket of any attempt still running at its deadline. A
// per-read timeout alone would let a receiver that sends a byte now and then hold an attempt
// for ever (headers included); ClientImpl::stop() is the thread-safe way to interrupt it.
class HttpSender::Watchdog {
 public:
  struct Ticket {
    httplib::ClientImpl* client = nullptr;
    bool firing = false;  // the watchdog is inside client->stop()
    bool fired = false;
  };
  using Handle = std::multimap<steady_clock::time_point, Ticket*>::iterator;

  Watchdog() : thread_([this] { Run(); }) {}

  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  Handle Arm(steady_clock::time_point deadline, Ticket* ticket) {
    std::lock_guard<std::mutex> lock(mu_);
    Handle handle = armed_.emplace(deadline, ticket);
    // Wake the thread only when it would otherwise sleep past this deadline; sequential
    // attempts with equal deadlines then cost no wake-up each.
    if (deadline < sleeping_until_) wake_.notify_all();
    return handle;
  }

  // True when the deadline fired (the client's socket was shut down). After this returns the
  // watchdog no longer touches ticket->client.
  bool Disarm(Handle handle, Ticket* ticket) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return !ticket->firing; });
    if (!ticket->fired) armed_.erase(handle);
    return ticket->fired;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      if (armed_.empty()) {
        sleeping_until_ = steady_clock::time_point::max();
        wake_.wait(lock);
        continue;
      }
      auto first = armed_.begin();
      const steady_clock::time_point next = first->first;  // a copy: Disarm may erase `first`
      if (steady_clock::now() < next) {
        sleeping_until_ = next;
        wake_.wait_until(lock, next);
        continue;
      }
      sleeping_until_ = steady_clock::time_point::min();
      Ticket* ticket = first->second;
      armed_.erase(first);
      ticket->firing = true;
      lock.unlock();
      // Outside mu_: stop() waits for a connect in progress (bounded by the connect timeout,
      // itself derived from this deadline), and other attempts must not wait for that.
      ticket->client->stop();
      lock.lock();
      ticket->firing = false;
      ticket->fired = true;
      done_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::multimap<steady_clock::time_point, Ticket*> armed_;
  steady_clock::time_point sleeping_until_ = steady_clock::time_point::min();
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the fields above exist
};

HttpSender::HttpSender(SsrfGuard& guard, const std::string& user_agent, size_t max_idle_per_origin)
    : guard_(guard),
      user_agent_(user_agent),
      have_ca_bundle_(HasCaBundle()),
      max_idle_per_origin_(max_idle_per_origin),
      watchdog_(std::make_unique<Watchdog>()) {}

HttpSender::~HttpSender() = default;

size_t HttpSender::IdleConnections() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  return idle_.size();
}

void HttpSender::EvictLocked(std::list<IdleClient>::iterator it,
                             std::vector<std::unique_ptr<httplib::ClientImpl>>& dropped) {
  auto by_key = idle_by_key_.find(it->key);
  if (by_key != idle_by_key_.end()) {
    auto& its = by_key->second;
    its.erase(std::remove(its.begin(), its.end(), it), its.end());
    if (its.empty()) idle_by_key_.erase(by_key);
  }
  dropped.push_back(std::move(it->client));
  idle_.erase(it);
}

std::unique_ptr<httplib::ClientImpl> HttpSender::TakeIdle(const std::string& key,
                                                          const std::string& address) {
  for (;;) {
    std::unique_ptr<httplib::ClientImpl> client;
    std::vector<std::unique_ptr<httplib::ClientImpl>> dropped;  // closed after unlocking
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      const auto too_old = steady_clock::now() - kMaxIdleAge;
      while (!idle_.empty() && idle_.front().idle_since < too_old) {
        EvictLocked(idle_.begin(), dropped);
      }
      auto by_key = idle_by_key_.find(key);
      if (by_key != idle_by_key_.end()) {
        auto& its = by_key->second;
        // Most recently used first: the likeliest to still be open at the other end.
        for (auto rit = its.rbegin(); rit != its.rend(); ++rit) {
          if ((*rit)->address != address) continue;
          auto it = *rit;
          client = std::move(it->client);
          its.erase(std::next(rit).base());
          if (its.empty()) idle_by_key_.erase(by_key);
          idle_.erase(it);
          break;
        }
      }
    }
    dropped.clear();
    if (!client) return nullptr;
    if (IdleSocketLooksAlive(*client)) return client;
    // The peer closed it while idle; try the next one.
  }
}

void HttpSender::PutIdle(const std::string& key, const std::string& address,
                         std::unique_ptr<httplib::ClientImpl> client) {
  if (!client->is_socket_open()) return;  // nothing to keep alive (e.g. "connection: close")
  std::vector<std::unique_ptr<httplib::ClientImpl>> dropped;  // closed after unlocking
  std::lock_guard<std::mutex> lock(pool_mu_);
  idle_.push_back(IdleClient{key, address, std::move(client), steady_clock::now()});
  auto& its = idle_by_key_[key];
  its.push_back(std::prev(idle_.end()));
  if (its.size() > max_idle_per_origin_) EvictLocked(its.front(), dropped);
  while (idle_.size() > kMaxIdleTotal) EvictLocked(idle_.begin(), dropped);
  // `dropped` is destroyed after `lock` (declared first), i.e. outside the mutex.
}

SendResult HttpSender::Send(const OutboundRequest& request, std::chrono::milliseconds deadline) {
  const auto start = steady_clock::now();
  const auto deadline_at = start + deadline;
  SendResult result;
  const EndpointUrl& url = request.url;

  // SSRF check at connect time; the client dials exactly this address.
  Result<IpAddress> dial = guard_.AddressToDial(url);
  if (!dial.ok()) {
    result.error = dial.status().message();
    result.duration_ms = MillisSince(start);
    return result;
  }
  const std::string address = dial->ToString();

  const auto timed_out = [&] {
    result.status = 0;
    result.body.clear();
    result.retry_after.reset();
    result.error = "timeout: no complete response from " + address + " port " +
                   std::to_string(url.port) + " within " + std::to_string(deadline.count()) + " ms";
    result.duration_ms = MillisSince(start);
    return result;
  };
  const auto remaining_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(deadline_at - steady_clock::now())
        .count();
  };
  if (remaining_us() <= 0) return timed_out();

  const std::string key = PoolKey(request);
  std::unique_ptr<httplib::ClientImpl> client = TakeIdle(key, address);
  if (!client) {
    if (url.scheme == "https") {
      auto tls = std::make_unique<httplib::SSLClient>(url.host, url.port);
      tls->enable_server_certificate_verification(true);
      if (have_ca_bundle_) tls->set_ca_cert_path(kCaBundle);  // else OpenSSL's default paths
      client = std::move(tls);
    } else {
      client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
    }
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // else Nagle + delayed ACK: ~23 POSTs/s per connection
    client->set_follow_location(false);
    client->set_url_encode(false);  // the target is encoded already (deliver/request_target.h)
    client->set_decompress(false);  // no accept-encoding: bytes read are bytes on the wire
  }
  if (!client->is_valid()) {
    result.error = "could not set up a client for " + url.scheme + "://" + url.host;
    result.duration_ms = MillisSince(start);
    return result;
  }
  client->set_hostname_addr_map({{url.host, address}});

  // Connect within the time left. Reads and writes get a little longer: the watchdog cuts them
  // at the deadline exactly, and a read timeout firing a hair early (httplib rounds to whole
  // milliseconds) would report a timeout as a failed read.
  const int64_t left_us = remaining_us();
  if (left_us <= 0) return timed_out();
  const int64_t io_us = left_us + kIoTimeoutSlack.count();
  client->set_connection_timeout(static_cast<time_t>(left_us / 1'000'000),
                                 static_cast<time_t>(left_us % 1'000'000));
  client->set_read_timeout(static_cast<time_t>(io_us / 1'000'000),
                           static_cast<time_t>(io_us % 1'000'000));
  client->set_write_timeout(static_cast<time_t>(io_us / 1'000'000),
                            static_cast<time_t>(io_us % 1'000'000));

  httplib::Request req;
  req.method = "POST";
  req.path = url.target;
  for (const auto& [name, value] : request.headers) {
    if (!IsReservedHeader(name)) req.headers.emplace(name, value);
  }
  req.headers.emplace("Host", HostHeader(url));
  req.headers.emplace("Content-Type", "application/json");
  req.headers.emplace("User-Agent", user_agent_);
  req.body = request.body;

  size_t body_read = 0;
  bool body_capped = false;
  bool deadline_passed = false;
  std::string body;
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (steady_clock::now() >= deadline_at) {
      deadline_passed = true;
      return false;
    }
    if (body.size() < kMaxBodyKept) body.append(data, std::min(len, kMaxBodyKept - body.size()));
    body_read += len;
    if (body_read > kMaxBodyRead) {
      body_capped = true;
      return false;
    }
    return true;
  };

  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  Watchdog::Ticket ticket;
  ticket.client = client.get();
  Watchdog::Handle handle = watchdog_->Arm(deadline_at, &ticket);
  const bool ok = client->send(req, res, error);
  const bool watchdog_fired = watchdog_->Disarm(handle, &ticket);

  const bool got_response = ok || (body_capped && !deadline_passed && res.status > 0);
  if (!got_response) {
    if (deadline_passed || watchdog_fired || error == httplib::Error::ConnectionTimeout ||
        steady_clock::now() >= deadline_at)
      return timed_out();
    result.error = DescribeError(error, address, url.port);
    result.duration_ms = MillisSince(start);
    return result;  // the client (and its connection) is dropped
  }

  result.status = res.status;
  result.body = std::move(body);
  if (res.has_header("Retry-After")) result.retry_after = res.get_header_value("Retry-After");
  result.duration_ms = MillisSince(start);
  // A capped body leaves unread bytes on the connection, and a fired watchdog a dead socket.
  if (ok && !watchdog_fired) PutIdle(key, address, std::move(client));
  return result;
}

}  // namespace hookd
