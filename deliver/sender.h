// Sender: makes one outbound delivery attempt. The interface is where tests inject a sender that
// times out or fails; HttpSender (deliver/http_sender.cc) is the only user of cpp-httplib.
// Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "deliver/ssrf_guard.h"

namespace hookd {

struct OutboundRequest {
  std::string endpoint_id;  // connections are pooled per endpoint
  EndpointUrl url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
  std::string body;                                          // sent with content-type JSON
};

struct SendResult {
  int status = 0;                          // 0 when no HTTP response arrived
  std::string body;                        // at most the first 4 KiB of the response body
  std::optional<std::string> retry_after;  // the Retry-After response header
  std::string error;                       // why there is no response (timeout, refused, ...)
  int64_t duration_ms = 0;
  // True when hookd itself could not make the attempt (out of file descriptors): it is not the
  // receiver's failure, so it is neither counted as an attempt nor fed to the circuit breaker.
  bool local_failure = false;
};

class Sender {
 public:
  virtual ~Sender() = default;
  // POSTs the request; never follows redirects; gives up when `deadline` (total, connect
  // included) passes; reads at most a small cap of the response body and keeps 4 KiB.
  virtual SendResult Send(const OutboundRequest& request, std::chrono::milliseconds deadline) = 0;
};

}  // namespace hookd
