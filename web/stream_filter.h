// The query of a status-stream request (API.md, "Status stream"): the per-client filter
// (`app_id`, `endpoint_id`, `source_id`, `types`), the resume point (`after` or Last-Event-ID) and
// the long-poll `timeout`. Parsing is pure; StreamFilter is an immutable value, thread-safe to
// read.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/default_app.h"
#include "common/result.h"

namespace hookd {

struct StreamFilter {
  // data.app_id must equal it. An application's credential always sets it to its application.
  std::optional<std::string> app_id;
  std::optional<std::string> endpoint_id;  // data.endpoint_id must equal it
  std::optional<std::string> source_id;    // data.source_id must equal it
  // Empty: every type. "delivery.*" matches every type starting with "delivery.".
  std::vector<std::string> types;

  // `app_id`: the entry's application (entries written before applications have none in their
  // data: they are the default application's).
  bool Matches(std::string_view type, std::string_view endpoint_id, std::string_view source_id,
               std::string_view app_id = kDefaultAppId) const;
};

struct StreamQuery {
  StreamFilter filter;
  // Entries with seq > after are sent; unset means "from now".
  std::optional<int64_t> after;
  std::chrono::seconds timeout{30};  // long-poll only
};

constexpr std::chrono::seconds kMaxLongPollTimeout{60};

// Reads app_id, endpoint_id, source_id, types, after and timeout from the query string, and the
// Last-Event-ID header when given (it wins over ?after=: it is what a reconnecting EventSource
// sends). Unknown parameters are ignored.
// Errors: 422 invalid_field for a bad `types` (empty item, bad characters, more than 32 items),
// a bad `after` (not an integer >= 0), a bad `timeout` (not an integer 0..60) or an empty
// app_id/endpoint_id/source_id; 400 invalid_last_event_id for a Last-Event-ID that is not a seq.
Result<StreamQuery> ParseStreamQuery(const std::map<std::string, std::string>& query,
                                     std::optional<std::string_view> last_event_id);

// A decimal integer >= 0 that fits int64 (no sign, no spaces); nullopt otherwise.
std::optional<int64_t> ParseSeq(std::string_view text);

}  // namespace hookd
