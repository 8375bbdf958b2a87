// Endpoint: a receiver URL that subscribes to messages (API.md, "Endpoints"). A value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/default_app.h"
#include "common/previous_secrets.h"
#include "deliver/endpoint_filter.h"

namespace hookd {

struct Endpoint {
  std::string id;                      // ep_...
  std::string app_id = kDefaultAppId;  // the application it belongs to; never changes
  std::string url;
  // "http", or "cli": the temporary endpoint of a connected `hookd listen`, whose deliveries go
  // over that command's WebSocket (listen/cli_tunnels.h); hookd never dials its url.
  std::string kind = "http";
  std::string description;
  EndpointFilter filter;
  std::vector<std::pair<std::string, std::string>> headers;  // custom, sent on every attempt
  std::string secret;                                        // whsec_...
  std::vector<PreviousSecret> previous_secrets;              // each signs too during its grace
  // Lower-case names and "prefix*" patterns of the provider's original request headers copied
  // onto deliveries of messages made from an ingested event (deliver/forward_headers.h).
  std::vector<std::string> forward_headers;
  std::optional<int64_t> rate_limit_per_second;
  bool disabled = false;
  std::string disabled_reason;
  std::optional<int64_t> failing_since;     // first failure since the last success
  std::string circuit = "closed";           // closed | open | half_open (deliver/circuit_breaker.h)
  std::optional<int64_t> circuit_retry_at;  // when open: the end of the cool-down
  int64_t created_at = 0;
  int64_t updated_at = 0;

  // The secrets that sign at `now_ms`: the current one, plus every previous one in its grace.
  std::vector<std::string> LiveSecrets(int64_t now_ms) const;
};

// API.md's endpoint object (with the secret: the admin API is token-protected).
nlohmann::json EndpointJson(const Endpoint& e);

}  // namespace hookd
