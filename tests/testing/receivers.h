// In-process receivers on 127.0.0.1 for the outbound senders' tests: an httplib::Server with
// well-behaved and misbehaving routes, a raw socket listener for what httplib's server cannot
// produce (trickled headers, a keep-alive connection closed right after its response), and
// a listener that accepts connections and never answers. For tests only.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hookd::testing {

// An httplib::Server on 127.0.0.1, port 0, that records what it receives.
class Receiver {
 public:
  Receiver() {
    server_.set_keep_alive_max_count(1000);
    // Without it httplib's server writes headers and body in two segments and Nagle plus
    // delayed ACKs add ~40 ms to every response on a kept-alive connection.
    server_.set_tcp_nodelay(true);
    server_.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_header("X-Receiver", "yes");
      res.set_content("{\"received\":true}", "application/json");
    });
    server_.Post("/fail", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 500;
      res.set_content("boom", "text/plain");
    });
    server_.Post("/redirect", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_redirect("/ok", 302);
    });
    server_.Post("/limited", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 429;
      res.set_header("Retry-After", "7");
    });
    server_.Post("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      std::unique_lock<std::mutex> lock(mu_);
      released_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return released_; });
      res.set_content("late", "text/plain");
    });
    server_.Post("/trickle", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_chunked_content_provider("text/plain", [this](size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return !Released() && sink.write("x", 1);
      });
    });
    server_.Post("/missing", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.status = 404;
      res.set_content(std::string(10 * 1024, 'm'), "text/plain");  // read whole, 4 KiB kept
    });
    server_.Post("/large", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      res.set_content(std::string(1024 * 1024, 'l'), "text/plain");  // with a Content-Length
    });
    server_.Post("/huge", [this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      static const std::string chunk(64 * 1024, 'a');
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= (size_t{1} << 30)) {
          sink.done();
          return true;
        }
        return sink.write(chunk.data(), chunk.size());
      });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~Receiver() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string Url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }

  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(requests_.size());
  }
  httplib::Request last() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.back();
  }
  std::set<int> remote_ports() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<int> ports;
    for (const auto& r : requests_) ports.insert(r.remote_port);
    return ports;
  }

 private:
  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
  }
  bool Released() {
    std::lock_guard<std::mutex> lock(mu_);
    return released_;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::vector<httplib::Request> requests_;
};

// A TCP socket listening on 127.0.0.1 at a free port (stored in `*port`) with `backlog`.
inline int ListenOnLoopback(int backlog, int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("listen failed");
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// A TCP listener on 127.0.0.1 that hands each accepted connection to `serve`, one at a time.
class RawListener {
 public:
  explicit RawListener(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    fd_ = ListenOnLoopback(16, &port_);
    thread_ = std::thread([this] {
      for (;;) {
        int conn = ::accept(fd_, nullptr, nullptr);
        if (conn < 0) return;
        ++accepted_;
        serve_(conn);
        ::close(conn);
        ++closed_;
      }
    });
  }
  ~RawListener() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  // Connections this listener has served and closed: after close(2) on loopback the peer's
  // socket has the FIN, so a test can wait for this instead of sleeping.
  int closed() const { return closed_; }
  bool stopping() const { return stopping_; }

  // Reads one request (headers and a content-length body); false on EOF or error.
  static bool ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    size_t content_length = 0;
    std::string lower = data.substr(0, header_end);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower.find("content-length:");
    if (at != std::string::npos) content_length = std::stoul(lower.substr(at + 15));
    while (data.size() < header_end + 4 + content_length) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  static bool Write(int fd, const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }

 private:
  std::function<void(int)> serve_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A TCP listener on 127.0.0.1 that accepts every connection and never reads or answers: each
// attempt to it is held until its deadline. Connections are closed on destruction.
class HoldingListener {
 public:
  HoldingListener() {
    fd_ = ListenOnLoopback(4096, &port_);
    thread_ = std::thread([this] {
      for (;;) {
        int conn = ::accept(fd_, nullptr, nullptr);
        if (conn < 0) return;
        std::lock_guard<std::mutex> lock(mu_);
        held_.push_back(conn);
      }
    });
  }
  ~HoldingListener() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    for (int fd : held_) ::close(fd);
  }

  int port() const { return port_; }
  int accepted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(held_.size());
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<int> held_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace hookd::testing
