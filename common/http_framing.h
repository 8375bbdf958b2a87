// RequestFramer: turns the bytes of one HTTP/1.1 connection into complete requests, strictly.
//
// Boost.Beast's parser does the framing (RFC 9112): one Content-Length, digits only; chunk sizes
// that fit; CRLF line ends; a request target without spaces; header and body size limits. The
// only transfer coding is a lone "chunked"; any other (e.g. "gzip, chunked") is a 501.
// Pipelined requests are kept in order: bytes after a complete request stay buffered until the
// caller asks for the next one. Anything malformed is an error that ends the connection, with a
// neutral message (no exception text reaches a client).
//
// Pure and single-threaded: one framer per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_types.h"
#include "common/status.h"

namespace hookd {

struct FramingLimits {
  size_t max_header_bytes = 64 * 1024;  // request line and headers together
  size_t max_body_bytes = 1 << 20;
};

class RequestFramer {
 public:
  explicit RequestFramer(FramingLimits limits);
  ~RequestFramer();
  RequestFramer(const RequestFramer&) = delete;
  RequestFramer& operator=(const RequestFramer&) = delete;

  // Keeps bytes received from the client.
  void Append(std::string_view bytes);

  enum class Outcome {
    kNeedMore,  // no complete request yet
    kRequest,   // *out holds the next request
    kError,     // the stream is not valid HTTP/1.1: answer error() and close
  };
  // Parses the next request out of the bytes kept. After kError every call returns kError.
  Outcome Next(HttpRequest* out);

  // After kRequest: whether the client lets the connection stay open after this request
  // (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive() const { return keep_alive_; }
  // True once per request whose headers ask "Expect: 100-continue" and whose body has not come.
  bool TakeContinue();
  // The error to answer after kError: 400 bad_request, 413 payload_too_large,
  // 431 headers_too_large or 501 not_implemented (a transfer coding other than "chunked").
  const Status& error() const { return error_; }
  // 400, 413, 431 or 501: the HTTP status for error().
  int error_status() const { return error_status_; }

  // Frees everything held; afterwards every call to Next returns kError. For a connection that is
  // being closed, so that it holds no memory while the client takes its time to go.
  void Release();

  // Bytes held for unfinished requests (unparsed input plus the body read so far).
  size_t buffered_bytes() const;
  // True while part of a request has arrived (for the header and body timeouts).
  bool started() const { return buffered_bytes() > 0 || header_done(); }
  // True after the current request's headers were parsed and before its body is complete.
  bool header_done() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool keep_alive_ = false;
  Status error_;
  int error_status_ = 0;
};

// Splits a request target into its path and its decoded query parameters ("+" is a space,
// "%XX" a byte; a later repeat of a name wins; a name without "=" has an empty value).
void ParseTarget(std::string_view target, HttpRequest* out);

}  // namespace hookd

namespace hookd {

// The bytes of `response` as an HTTP/1.1 response with Content-Type, Content-Length (neither
// for 204 and 304, which have no body) and a Connection header ("keep-alive" or "close"). CR and LF
// in header names and values are dropped, so no value can start a header of its own.
std::string FormatResponse(const HttpResponse& response, bool keep_alive);

}  // namespace hookd
