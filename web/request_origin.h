// The cross-site check of cookie-authenticated requests that change state (API.md, "Auth and
// errors"). A browser sends the session cookie with a request another site's page makes, so
// such a request must show that it comes from hookd's own pages: its Origin (or, without one,
// its Referer) is the origin the request was sent to — the scheme (https when a proxy says
// X-Forwarded-Proto: https) with the Host header — or one of the configured origins
// (HOOKD_PUBLIC_URL, HOOKD_DASHBOARD_ORIGIN); and its Content-Type is application/json, which
// a cross-site form cannot send and a cross-site fetch cannot send without a CORS preflight
// that hookd does not grant. Bearer-token requests are not checked: no browser adds them.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/http_types.h"
#include "common/status.h"

namespace hookd {

// True for the methods that change nothing (GET, HEAD, OPTIONS).
bool IsSafeMethod(std::string_view method);

// "scheme://host[:port]" of an absolute URL, lower-cased, default port dropped; "" when `url`
// is not one.
std::string OriginOf(std::string_view url);

// OK when `req` comes from a same-origin page (see above); 403 forbidden_origin when its
// Origin/Referer is another one or missing; 415 unsupported_media_type when it is not JSON.
Status CheckSameOriginJson(const HttpRequest& req, const std::vector<std::string>& configured);

}  // namespace hookd
