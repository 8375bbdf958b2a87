// The HTTP edge of the stream listener, free of Beast types: the query string, the hookd
// HttpRequest the auth check sees, a response rendered as HTTP/1.1 bytes, and the CORS headers
// of the dashboard's origins. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http_types.h"

namespace hookd {

// "a=1&b=x%20y" → {a: "1", b: "x y"}; '+' is a space; a repeated name keeps the first value.
std::map<std::string, std::string> ParseQueryString(std::string_view query);

// Splits "/path?query" into HttpRequest::path and ::query.
void SetTarget(HttpRequest& req, std::string_view target);

// "HTTP/1.1 <status> <reason>" with Content-Type, Content-Length, the response's headers and
// Connection: keep-alive or close.
std::string RenderResponse(const HttpResponse& r, bool keep_alive);

// Access-Control-Allow-Origin (the request's own allowed origin), -Allow-Credentials and Vary,
// for a request whose Origin is allowed; nothing when there is no Origin header.
std::vector<std::pair<std::string, std::string>> CorsHeaders(
    const std::optional<std::string_view>& origin);

}  // namespace hookd
