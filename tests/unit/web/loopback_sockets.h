// Loopback sockets for stream-session tests that drive the io_context themselves: a connected
// pair whose client end reads slowly, and a read of what has arrived without waiting.
#pragma once

#include <string>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace hookd::testing {

// A connected pair on 127.0.0.1: {client, server}. `receive_buffer` > 0 sets the client's
// SO_RCVBUF before it connects; `send_buffer` > 0 the server end's SO_SNDBUF.
inline std::pair<boost::asio::ip::tcp::socket, boost::asio::ip::tcp::socket> LoopbackPair(
    boost::asio::io_context& ioc, int receive_buffer = 0, int send_buffer = 0) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(ioc);
  client.open(tcp::v4());
  if (receive_buffer > 0) client.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  if (send_buffer > 0) server.set_option(asio::socket_base::send_buffer_size(send_buffer));
  return {std::move(client), std::move(server)};
}

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
