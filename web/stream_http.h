// The CORS headers of the stream listener for the dashboard's origins (the request target and
// the response bytes use common/http_framing.h, as the main listener does). Pure; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http_types.h"

namespace hookd {

// Access-Control-Allow-Origin (the request's own allowed origin), -Allow-Credentials and Vary,
// for a request whose Origin is allowed; nothing when there is no Origin header.
std::vector<std::pair<std::string, std::string>> CorsHeaders(
    const std::optional<std::string_view>& origin);

}  // namespace hookd
