// One outbound delivery attempt: what is sent (OutboundRequest) and what came of it
// (SendResult), as the AsyncSender (deliver/async_sender.h) takes and reports them.
#pragma once

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
  // The endpoint is a connected `hookd listen` (kind "cli"): the attempt goes over its
  // WebSocket, never to `url` (listen/cli_tunnels.h).
  bool cli = false;
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
  // True when the endpoint's receiver is a `hookd listen` command that is not connected: the
  // delivery waits for it as for a local failure (not an attempt, due again shortly), but it is
  // nobody's failure, so nothing is logged or counted.
  bool not_connected = false;
};

}  // namespace hookd
