#include "web/stream_filter.h"

#include <charconv>

namespace hookd {
namespace {

constexpr size_t kMaxTypes = 32;

bool ValidTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// "a.b", or a prefix pattern "a.*"; a lone "*" is not accepted (omit `types` for everything).
bool ValidType(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  std::string_view body = t;
  if (t.ends_with(".*")) body = t.substr(0, t.size() - 1);  // keep the dot
  if (body.empty() || body == ".") return false;
  for (char c : body) {
    if (!ValidTypeChar(c)) return false;
  }
  return true;
}

bool TypeMatches(std::string_view pattern, std::string_view type) {
  if (pattern.ends_with(".*")) return type.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == type;
}

}  // namespace

bool StreamFilter::Matches(std::string_view type, std::string_view entry_endpoint,
                           std::string_view entry_source, std::string_view entry_app) const {
  if (app_id && *app_id != entry_app) return false;
  if (endpoint_id && *endpoint_id != entry_endpoint) return false;
  if (source_id && *source_id != entry_source) return false;
  if (types.empty()) return true;
  for (const std::string& p : types) {
    if (TypeMatches(p, type)) return true;
  }
  return false;
}

std::optional<int64_t> ParseSeq(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

Result<StreamQuery> ParseStreamQuery(const std::map<std::string, std::string>& query,
                                     std::optional<std::string_view> last_event_id) {
  StreamQuery q;
  for (auto [name, field] :
       {std::pair{"app_id", &q.filter.app_id}, std::pair{"endpoint_id", &q.filter.endpoint_id},
        std::pair{"source_id", &q.filter.source_id}}) {
    auto it = query.find(name);
    if (it == query.end()) continue;
    if (it->second.empty() || it->second.size() > 128)
      return Status::InvalidField(std::string(name) + ": must be an id of 1 to 128 characters");
    *field = it->second;
  }
  if (auto it = query.find("types"); it != query.end()) {
    std::string_view rest = it->second;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      if (!ValidType(item))
        return Status::InvalidField(
            "types: a comma list of event types such as delivery.failed or delivery.*; got \"" +
            std::string(item.substr(0, 64)) + "\"");
      q.filter.types.emplace_back(item);
      if (q.filter.types.size() > kMaxTypes)
        return Status::InvalidField("types: at most " + std::to_string(kMaxTypes) + " items");
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  if (auto it = query.find("after"); it != query.end()) {
    q.after = ParseSeq(it->second);
    if (!q.after) return Status::InvalidField("after: must be a seq (an integer >= 0)");
  }
  if (last_event_id) {
    auto seq = ParseSeq(*last_event_id);
    if (!seq)
      return Status::Malformed("invalid_last_event_id",
                               "Last-Event-ID must be the seq of an entry (an integer >= 0)");
    q.after = seq;
  }
  if (auto it = query.find("timeout"); it != query.end()) {
    auto t = ParseSeq(it->second);
    if (!t || *t > kMaxLongPollTimeout.count())
      return Status::InvalidField("timeout: seconds, an integer from 0 to 60");
    q.timeout = std::chrono::seconds(*t);
  }
  return q;
}

}  // namespace hookd
