// Reads what a loopback test socket has received so far, without waiting: for stream-session
// tests that drive the io_context themselves.
#pragma once

#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace hookd::testing {

// Everything readable now; `closed` (if given) tells whether the peer closed or reset.
inline std::string ReadAvailable(boost::asio::ip::tcp::socket& s, bool* closed = nullptr) {
  std::string out;
  char buf[65536];
  boost::system::error_code ec;
  s.non_blocking(true);
  while (true) {
    size_t n = s.read_some(boost::asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  if (closed) *closed = ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  return out;
}

}  // namespace hookd::testing
