// EncodeRequestTarget: an endpoint URL's path and query as they go on the request line.
//
// Endpoint URLs are stored as registered; a path or query may hold bytes a request-target may
// not (RFC 9112 section 3.2, RFC 3986 section 3.3-3.4): UTF-8 above 0x7f, and the few ASCII
// characters outside pchar / "/" / "?" such as `|`, `^`, `{`, `"`, or a "%" that starts no escape.
// Each such byte becomes %XX (upper-case hex); "%XX" escapes and allowed characters are kept, so
// encoding twice changes nothing. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace hookd {

std::string EncodeRequestTarget(std::string_view target);

}  // namespace hookd
