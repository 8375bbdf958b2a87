#include "deliver/endpoint_filter.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {
namespace {

constexpr size_t kMaxPatternLength = 200;

bool MatchesPattern(std::string_view pattern, std::string_view event_type) {
  if (pattern == "*") return true;
  if (pattern.ends_with(".*")) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the '.'
    return event_type.size() > prefix.size() && event_type.starts_with(prefix);
  }
  return pattern == event_type;
}

bool IsPatternChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

}  // namespace

bool MatchesEventType(const std::vector<std::string>& patterns, std::string_view event_type) {
  if (patterns.empty()) return true;
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return MatchesPattern(p, event_type); });
}

bool Matches(const EndpointFilter& filter, std::string_view event_type,
             const std::optional<std::string>& source_id) {
  if (!MatchesEventType(filter.event_types, event_type)) return false;
  if (filter.source_ids.empty()) return true;
  if (!source_id) return false;
  return std::find(filter.source_ids.begin(), filter.source_ids.end(), *source_id) !=
         filter.source_ids.end();
}

Status ValidateEventTypePatterns(const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (p.empty()) return Status::InvalidField("event type pattern must not be empty");
    if (p.size() > kMaxPatternLength) {
      return Status::InvalidField("event type pattern longer than 200 characters");
    }
    std::string_view body = p;
    if (body == "*") continue;
    if (body.ends_with(".*")) body.remove_suffix(1);  // "a.*" → check "a."
    if (!std::all_of(body.begin(), body.end(), IsPatternChar)) {
      return Status::InvalidField("invalid event type pattern \"" + p +
                                  "\": use [A-Za-z0-9._:-], with '*' only as the whole last "
                                  "segment");
    }
  }
  return Status::Ok();
}

}  // namespace hookd
