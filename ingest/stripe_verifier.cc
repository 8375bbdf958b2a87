#include "ingest/stripe_verifier.h"

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

constexpr std::string_view kHeader = "Stripe-Signature";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<VerifiedEvent> StripeVerifier::Verify(const VerifyInput& in) const {
  // A comma list: repeated headers add to it (RFC 9110 section 5.3).
  const auto headers = in.headers.GetAll(kHeader);
  if (headers.empty()) return BadSignature("missing Stripe-Signature header");
  std::string joined;
  for (std::string_view h : headers) joined.append(joined.empty() ? "" : ",").append(h);
  const std::optional<std::string_view> header = joined;

  std::optional<std::string_view> t;
  std::vector<std::string> candidates;  // decoded v1 signatures
  size_t v1_count = 0;
  std::string_view rest = *header;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = item.substr(0, eq);
      std::string_view value = item.substr(eq + 1);
      if (key == "t") {
        if (t) return BadSignature("Stripe-Signature has more than one t=");
        t = value;
      } else if (key == "v1") {
        ++v1_count;
        if (auto raw = HexDecode(value)) candidates.push_back(std::move(*raw));
      }  // other schemes (v0, ...) are ignored
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!t) return BadSignature("Stripe-Signature has no t= timestamp");
  auto ts = ParseUnixSeconds(*t);
  if (!ts) return BadSignature("Stripe-Signature t= is not a unix timestamp");
  if (v1_count == 0) return BadSignature("Stripe-Signature has no v1= signature");

  std::string signed_payload;
  signed_payload.reserve(t->size() + 1 + in.body.size());
  signed_payload.append(*t).append(".").append(in.body);
  bool matched = false;
  for (const std::string& secret : in.secrets) {
    std::string mac = HmacSha256(secret, signed_payload);
    for (const std::string& candidate : candidates) matched |= ConstantTimeEquals(mac, candidate);
  }
  if (!matched) return BadSignature("no Stripe-Signature v1 signature matches");
  if (!WithinTolerance(*ts, in.now_unix_seconds, in.tolerance_seconds))
    return StaleTimestamp(kHeader, *ts, in.tolerance_seconds);

  auto body = ProbeJsonObject(in.body, {"id", "type"});
  if (!body.ok()) return body.status();
  auto id = body->find("id");
  if (id == body->end() || id->second.empty())
    return Status::Malformed("missing_event_id", "body has no string \"id\"");
  if (Status s = CheckIdentifier(id->second, "the body's id"); !s.ok()) return s;
  VerifiedEvent event;
  event.provider_event_id = std::move(id->second);
  if (auto type = body->find("type"); type != body->end())
    event.event_type = std::move(type->second);
  if (Status s = CheckIdentifier(event.event_type, "the body's type"); !s.ok()) return s;
  return event;
}

}  // namespace hookd
