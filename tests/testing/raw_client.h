// A blocking TCP client that sends exact bytes and reads what comes back, for tests of the HTTP
// edge that ordinary HTTP clients cannot express (pipelining, bad framing, slow senders).
// Not thread-safe; one per test thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hookd::testing {

class RawClient {
 public:
  // `receive_buffer` > 0: SO_RCVBUF set before connecting, so the window the peer sees stays
  // that small (a client that reads slowly or not at all).
  explicit RawClient(uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  // False when the peer has closed or reset the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until the peer closes, `wait` passes without new bytes, or `stop_after` bytes.
  // closed() tells whether the peer closed.
  std::string Read(std::chrono::milliseconds wait, size_t stop_after = SIZE_MAX) {
    std::string out;
    while (out.size() < stop_after) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) break;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  bool closed() const { return closed_; }

  // Number of HTTP responses (status lines) in `text`.
  static int CountResponses(std::string_view text) {
    int n = 0;
    for (size_t at = text.find("HTTP/1.1 "); at != std::string_view::npos;
         at = text.find("HTTP/1.1 ", at + 1))
      ++n;
    return n;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

}  // namespace hookd::testing
