// Request ids: every request on the main listener has one. A client's X-Request-Id is taken when
// it is usable (1 to 128 visible ASCII characters, no spaces), so ids can be followed across a
// proxy; otherwise hookd makes one ("req_" + a time-ordered id, common/ids.h). The id is echoed
// in the X-Request-Id response header, put into every error body as error.request_id, and named
// in the log lines about the request. Pure functions, thread-safe when the Random is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/http_types.h"
#include "common/random.h"

namespace hookd {

constexpr size_t kMaxRequestIdLength = 128;

// 1 to kMaxRequestIdLength characters, each visible ASCII (0x21 to 0x7e).
bool IsUsableRequestId(std::string_view id);

// The client's X-Request-Id (the first one) when usable, else a new "req_…" id.
std::string RequestIdFor(const Headers& headers, const Clock& clock, Random& random);

// What an error body said, for the log.
struct ErrorBody {
  std::string code;
  std::string message;
};

// Adds the X-Request-Id header to `response`, and when its body is a JSON error
// ({"error": {...}}) sets error.request_id in it. Returns the error's code and message when it
// was one.
std::optional<ErrorBody> AttachRequestId(HttpResponse& response, std::string_view id);

}  // namespace hookd
