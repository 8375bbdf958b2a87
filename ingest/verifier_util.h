// Helpers shared by the provider verifiers: error Statuses, timestamp parsing and tolerance, and
// (from common/json_probe.h) the body probe. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_types.h"
#include "common/json_probe.h"
#include "common/result.h"

namespace hookd {

// 401 invalid_signature with `msg`.
Status BadSignature(std::string msg);

// Unsigned decimal only: no sign, no spaces, no overflow.
std::optional<int64_t> ParseUnixSeconds(std::string_view s);

// The longest event id or event type hookd stores (bytes). Providers' ids are 20-40 characters.
inline constexpr size_t kMaxIdentifierBytes = 255;

// Checks a value used as an event id or type (`what` names where it came from): 400
// invalid_header when it is longer than kMaxIdentifierBytes, is not valid UTF-8 or holds a
// control character. These values are stored, indexed and shown, and headers are not covered by
// every provider's signature.
Status CheckIdentifier(std::string_view value, std::string_view what);

// The value of header `name` used as an event id or type: nullopt when absent; 400
// invalid_header when it fails CheckIdentifier or appears more than once with different values.
Result<std::optional<std::string>> IdentifierHeader(const Headers& headers, std::string_view name);

// The value of a signature header that must appear at most once: nullopt when absent; 401
// invalid_signature when it is repeated (a second value would otherwise be ignored unseen).
Result<std::optional<std::string_view>> SingleSignatureHeader(const Headers& headers,
                                                              std::string_view name);

// |ts - now| <= tolerance, without overflow; a negative tolerance admits nothing.
bool WithinTolerance(int64_t ts, int64_t now, int64_t tolerance);

// 401 timestamp_out_of_tolerance naming the header and the tolerance.
Status StaleTimestamp(std::string_view header, int64_t ts, int64_t tolerance);

}  // namespace hookd
