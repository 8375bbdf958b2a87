// Which messages an endpoint subscribes to: event types (exact, or "invoice.*" for a prefix;
// empty = all) and source ids (empty = all). Pure, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hookd {

struct EndpointFilter {
  std::vector<std::string> event_types;
  std::vector<std::string> source_ids;
};

// "invoice.*" matches "invoice.paid" and "invoice.payment.failed" but not "invoice" or
// "invoices.x"; "*" alone matches everything.
bool MatchesEventType(const std::vector<std::string>& patterns, std::string_view event_type);

// Both lists must match; a message without a source matches only an empty source_ids list.
bool Matches(const EndpointFilter& filter, std::string_view event_type,
             const std::optional<std::string>& source_id);

// 422 unless each pattern is non-empty, at most 200 chars, of [A-Za-z0-9._:-], with '*' only as
// a whole final segment ("a.*", "*").
Status ValidateEventTypePatterns(const std::vector<std::string>& patterns);

}  // namespace hookd
