// Where a running hookd's long-lived transports are: GET /api/v1/info's stream_base (API.md,
// "Status stream"), as `tail` and `listen` connect to it: http, or https (through a TLS proxy,
// the certificate verified against the system's CAs or SSL_CERT_FILE / SSL_CERT_DIR).
#pragma once

#include <optional>
#include <string>

#include "cli/api_client.h"
#include "common/result.h"

namespace hookd::cli {

struct StreamTarget {
  std::string base;  // as hookd named it
  std::string host, port;
  bool tls = false;  // https: TLS with the host's certificate verified
};

// host and port of "http://host[:port]" or "https://host[:port]"; nullopt for anything else.
std::optional<StreamTarget> ParseStreamBase(const std::string& base);

// Asks hookd; the error is the line to print (unreachable, refused, not http).
Result<StreamTarget> FetchStreamTarget(ApiClient& api, const std::string& command);

}  // namespace hookd::cli
