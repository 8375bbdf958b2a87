#include "ingest/standard_verifier.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "ingest/verifier_util.h"

namespace hookd {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

// The HMAC key: base64 of the part after "whsec_" (or of the whole secret without the prefix, as
// the reference libraries do). nullopt when it does not decode: such a secret matches nothing.
std::optional<std::string> SecretKey(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    secret.remove_prefix(kSecretPrefix.size());
  }
  return Base64Decode(secret);
}

}  // namespace

Result<VerifiedEvent> StandardVerifier::Verify(const VerifyInput& in) const {
  // The webhook-* set when webhook-id is present, else the svix-* set; never a mix.
  const std::string prefix = in.headers.Has("webhook-id") ? "webhook-" : "svix-";
  auto id_header = SingleSignatureHeader(in.headers, prefix + "id");
  if (!id_header.ok()) return id_header.status();
  const std::optional<std::string_view>& id = *id_header;
  if (!id) return BadSignature("missing webhook-id (or svix-id) header");
  auto timestamp_header = SingleSignatureHeader(in.headers, prefix + "timestamp");
  if (!timestamp_header.ok()) return timestamp_header.status();
  const std::optional<std::string_view>& timestamp = *timestamp_header;
  if (!timestamp) return BadSignature("missing " + prefix + "timestamp header");
  // A list of signatures: repeated headers add to it (RFC 9110 section 5.3).
  const auto signatures = in.headers.GetAll(prefix + "signature");
  if (signatures.empty()) return BadSignature("missing " + prefix + "signature header");
  std::string joined_signatures;
  for (std::string_view s : signatures) joined_signatures.append(s).append(" ");
  const std::optional<std::string_view> signature = joined_signatures;
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
  if (!WithinTolerance(*ts, in.now_unix_seconds, in.tolerance_seconds))
    return StaleTimestamp(prefix + "timestamp", *ts, in.tolerance_seconds);

  auto body = ProbeJsonObject(in.body, {"type"});
  if (!body.ok()) return body.status();
  if (id->empty()) return Status::Malformed("missing_event_id", "empty " + prefix + "id header");
  if (Status s = CheckIdentifier(*id, prefix + "id"); !s.ok()) return s;
  VerifiedEvent event;
  event.provider_event_id = std::string(*id);
  if (auto type = body->find("type"); type != body->end())
    event.event_type = std::move(type->second);
  if (Status s = CheckIdentifier(event.event_type, "the body's type"); !s.ok()) return s;
  return event;
}

}  // namespace hookd
