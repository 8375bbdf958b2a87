#include "deliver/forward_headers.h"

#include <algorithm>
#include <cctype>

namespace hookd {
namespace {

constexpr size_t kMaxEntryLength = 100;

constexpr char kSetByHookd[] = "is set by hookd on every delivery";
constexpr char kHopByHop[] = "is a hop-by-hop header";
constexpr char kCredential[] =
    "is a credential: ingest does not store it, so it is never forwarded (give the receiver a "
    "credential of its own in the endpoint's headers)";
constexpr char kSignature[] =
    "carries the provider's signature; deliveries are signed by hookd (webhook-signature)";

struct Refused {
  const char* name;  // the exact name, or the prefix when `prefix`
  bool prefix;
  const char* reason;
};

constexpr Refused kRefused[] = {
    {"host", false, kSetByHookd},
    {"user-agent", false, kSetByHookd},
    {"accept", false, kSetByHookd},
    {"content-", true, kSetByHookd},
    {"webhook-", true, kSetByHookd},
    {"hookd-", true, kSetByHookd},
    {"connection", false, kHopByHop},
    {"keep-alive", false, kHopByHop},
    {"te", false, kHopByHop},
    {"trailer", false, kHopByHop},
    {"transfer-encoding", false, kHopByHop},
    {"upgrade", false, kHopByHop},
    {"expect", false, kHopByHop},
    {"proxy-", true, kHopByHop},
    {"authorization", false, kCredential},
    {"cookie", false, kCredential},
    {"set-cookie", false, kCredential},
    {"svix-", true, kSignature},
    {"x-hub-signature", true, kSignature},
    {"stripe-signature", false, kSignature},
    {"x-shopify-hmac-sha256", false, kSignature},
};

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The refused prefix every name starting with `prefix` falls under, or nullptr: such a pattern
// could never forward anything.
const Refused* RefusedPrefixOf(std::string_view prefix) {
  for (const Refused& r : kRefused)
    if (r.prefix && prefix.starts_with(r.name)) return &r;
  return nullptr;
}

Status Invalid(const std::string& entry, const std::string& why) {
  return Status::InvalidField("forward_headers: \"" + entry + "\" " + why);
}

}  // namespace

std::string ForwardRefusal(std::string_view lower_name) {
  for (const Refused& r : kRefused) {
    const bool hit = r.prefix ? lower_name.starts_with(r.name) : lower_name == r.name;
    if (hit) return r.reason;
  }
  return "";
}

Result<std::vector<std::string>> ParseForwardHeaders(const nlohmann::json& value) {
  if (!value.is_array())
    return Status::InvalidField("forward_headers must be an array of header names or patterns");
  if (value.size() > kMaxForwardHeaders)
    return Status::InvalidField("forward_headers: at most " + std::to_string(kMaxForwardHeaders) +
                                " entries");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string())
      return Status::InvalidField("forward_headers must hold strings (header names or patterns)");
    const std::string& given = item.get_ref<const std::string&>();
    if (given.empty() || given.size() > kMaxEntryLength)
      return Invalid(given.substr(0, kMaxEntryLength),
                     "must be 1-" + std::to_string(kMaxEntryLength) + " characters");
    const bool pattern = given.back() == '*';
    const std::string_view name =
        pattern ? std::string_view(given).substr(0, given.size() - 1) : std::string_view(given);
    if (name.empty())
      return Invalid(given, "must name a prefix before '*' (forwarding every header is refused)");
    if (!std::all_of(name.begin(), name.end(), IsTokenChar))
      return Invalid(given,
                     "is not a header name: use HTTP token characters, with at most one '*' "
                     "at the end for a prefix");
    const std::string lower = Lower(given);
    const std::string_view lower_name = std::string_view(lower).substr(0, name.size());
    if (pattern) {
      if (const Refused* r = RefusedPrefixOf(lower_name))
        return Invalid(given, "matches only " + std::string(r->name) + "* headers, which " +
                                  "are never forwarded: each " + r->reason);
    } else if (std::string why = ForwardRefusal(lower_name); !why.empty()) {
      return Invalid(given, why);
    }
    if (std::find(out.begin(), out.end(), lower) == out.end()) out.push_back(lower);
  }
  return out;
}

bool MatchesForwardPattern(std::string_view lower_name, const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (lower_name.starts_with(std::string_view(p).substr(0, p.size() - 1))) return true;
    } else if (lower_name == p) {
      return true;
    }
  }
  return false;
}

}  // namespace hookd
