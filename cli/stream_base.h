// Where a running hookd's long-lived transports are: GET /api/v1/info's stream_base (API.md,
// "Status stream"), as `tail` and `listen` connect to it (plain http only).
#pragma once

#include <optional>
#include <string>

#include "cli/api_client.h"
#include "common/result.h"

namespace hookd::cli {

struct StreamTarget {
  std::string base;  // as hookd named it
  std::string host, port;
};

// host and port of "http://host[:port]"; nullopt for anything else.
std::optional<StreamTarget> ParseStreamBase(const std::string& base);

// Asks hookd; the error is the line to print (unreachable, refused, not http).
Result<StreamTarget> FetchStreamTarget(ApiClient& api, const std::string& command);

}  // namespace hookd::cli
