// The session cookie on the wire: reading it from a request, and the Set-Cookie values that set
// and clear it (API.md, "Auth and errors": HttpOnly, SameSite=Strict, Secure over HTTPS).
// Pure, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_types.h"

namespace hookd {

inline constexpr std::string_view kSessionCookieName = "hookd_session";

// The value of the first hookd_session cookie in the request's Cookie headers, if any.
std::optional<std::string_view> SessionCookieValue(const HttpRequest& req);

// True when the request reached hookd's TLS-terminating proxy over HTTPS, as the proxy reports
// in X-Forwarded-Proto (any listed value "https", case-insensitive). The header is not
// authenticated, but it only ever adds Secure, which makes the cookie stricter, never looser.
bool ForwardedOverHttps(const HttpRequest& req);

// "hookd_session=<value>; Path=/; Max-Age=<s>; HttpOnly; SameSite=Strict[; Secure]".
std::string SessionSetCookie(std::string_view value, int64_t max_age_seconds, bool secure);
// The same cookie, empty and already expired: the browser drops it.
std::string SessionClearCookie(bool secure);

}  // namespace hookd
