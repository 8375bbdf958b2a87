#include "ingest/standard_verifier.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto.h"

namespace hookd {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

// Unsigned decimal only: no sign, no spaces, no overflow.
std::optional<int64_t> ParseUnixSeconds(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool WithinTolerance(int64_t ts, int64_t now, int64_t tolerance) {
  if (tolerance < 0) return false;
  // Unsigned subtraction gives the exact distance between any two int64 values.
  uint64_t diff = ts >= now ? static_cast<uint64_t>(ts) - static_cast<uint64_t>(now)
                            : static_cast<uint64_t>(now) - static_cast<uint64_t>(ts);
  return diff <= static_cast<uint64_t>(tolerance);
}

// The HMAC key: base64 of the part after "whsec_" (or of the whole secret without the prefix, as
// the reference libraries do). nullopt when it does not decode: such a secret matches nothing.
std::optional<std::string> SecretKey(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    secret.remove_prefix(kSecretPrefix.size());
  }
  return Base64Decode(secret);
}

Status BadSignature(std::string msg) {
  return Status::Unauthenticated("invalid_signature", std::move(msg));
}

}  // namespace

Result<VerifiedEvent> StandardVerifier::Verify(const VerifyInput& in) const {
  // The webhook-* set when webhook-id is present, else the svix-* set; never a mix.
  const std::string prefix = in.headers.Has("webhook-id") ? "webhook-" : "svix-";
  auto id = in.headers.Get(prefix + "id");
  if (!id) return BadSignature("missing webhook-id (or svix-id) header");
  auto timestamp = in.headers.Get(prefix + "timestamp");
  if (!timestamp) return BadSignature("missing " + prefix + "timestamp header");
  auto signature = in.headers.Get(prefix + "signature");
  if (!signature) return BadSignature("missing " + prefix + "signature header");
  auto ts = ParseUnixSeconds(*timestamp);
  if (!ts) return BadSignature(prefix + "timestamp is not a unix timestamp");

  std::vector<std::string> candidates;  // decoded v1 signatures
  size_t v1_count = 0;
  std::string_view rest = *signature;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    size_t comma = entry.find(',');
    if (comma != std::string_view::npos && entry.substr(0, comma) == "v1") {
      ++v1_count;
      if (auto raw = Base64Decode(entry.substr(comma + 1))) candidates.push_back(std::move(*raw));
    }  // other versions (v1a, ...) are ignored
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  if (v1_count == 0) return BadSignature(prefix + "signature has no v1 signature");

  std::string signed_content;
  signed_content.reserve(id->size() + timestamp->size() + 2 + in.body.size());
  signed_content.append(*id).append(".").append(*timestamp).append(".").append(in.body);
  bool matched = false;
  for (const std::string& secret : in.secrets) {
    auto key = SecretKey(secret);
    if (!key) continue;
    std::string mac = HmacSha256(*key, signed_content);
    for (const std::string& candidate : candidates) matched |= ConstantTimeEquals(mac, candidate);
  }
  if (!matched) return BadSignature("no " + prefix + "signature v1 signature matches");
  if (!WithinTolerance(*ts, in.now_unix_seconds, in.tolerance_seconds)) {
    return Status::Unauthenticated("timestamp_out_of_tolerance",
                                   prefix + "timestamp " + std::to_string(*ts) + " is more than " +
                                       std::to_string(in.tolerance_seconds) + " s from now");
  }

  auto body = nlohmann::json::parse(in.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::Malformed("invalid_json", "body is not a JSON object");
  }
  if (id->empty()) return Status::Malformed("missing_event_id", "empty " + prefix + "id header");
  VerifiedEvent event;
  event.provider_event_id = std::string(*id);
  auto type = body.find("type");
  if (type != body.end() && type->is_string()) event.event_type = type->get<std::string>();
  return event;
}

}  // namespace hookd
