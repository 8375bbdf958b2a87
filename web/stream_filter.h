// The query of a status-stream request (API.md, "Status stream"): the per-client filter
// (`endpoint_id`, `source_id`, `types`), the resume point (`after` or Last-Event-ID) and the
// long-poll `timeout`. Parsing is pure; StreamFilter is an immutable value, thread-safe to read.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hookd {

struct StreamFilter {
  std::optional<std::string> endpoint_id;  // data.endpoint_id must equal it
  std::optional<std::string> source_id;    // data.source_id must equal it
  // Empty: every type. "delivery.*" matches every type starting with "delivery.".
  std::vector<std::string> types;

  bool Matches(std::string_view type, std::string_view endpoint_id,
               std::string_view source_id) const;
};

struct StreamQuery {
  StreamFilter filter;
  // Entries with seq > after are sent; unset means "from now".
  std::optional<int64_t> after;
  std::chrono::seconds timeout{30};  // long-poll only
};

constexpr std::chrono::seconds kMaxLongPollTimeout{60};

// Reads endpoint_id, source_id, types, after and timeout from the query string, and the
// Last-Event-ID header when given (it wins over ?after=: it is what a reconnecting EventSource
// sends). Unknown parameters are ignored.
// Errors: 422 invalid_field for a bad `types` (empty item, bad characters, more than 32 items),
// a bad `after` (not an integer >= 0), a bad `timeout` (not an integer 0..60) or an empty
// endpoint_id/source_id; 400 invalid_last_event_id for a Last-Event-ID that is not a seq.
Result<StreamQuery> ParseStreamQuery(const std::map<std::string, std::string>& query,
                                     std::optional<std::string_view> last_event_id);

// A decimal integer >= 0 that fits int64 (no sign, no spaces); nullopt otherwise.
std::optional<int64_t> ParseSeq(std::string_view text);

}  // namespace hookd
