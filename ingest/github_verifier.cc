#include "ingest/github_verifier.h"

#include <string>
#include <string_view>

#include "common/crypto.h"
#include "ingest/verifier_util.h"

namespace hookd {
namespace {

constexpr std::string_view kPrefix = "sha256=";

}  // namespace

Result<VerifiedEvent> GitHubVerifier::Verify(const VerifyInput& in) const {
  auto signature = SingleSignatureHeader(in.headers, "X-Hub-Signature-256");
  if (!signature.ok()) return signature.status();
  const std::optional<std::string_view>& header = *signature;
  if (!header) return BadSignature("missing X-Hub-Signature-256 header");
  if (header->substr(0, kPrefix.size()) != kPrefix) {
    return BadSignature("X-Hub-Signature-256 must be sha256=<hex>");
  }
  auto candidate = HexDecode(header->substr(kPrefix.size()));
  bool matched = false;
  if (candidate) {
    for (const std::string& secret : in.secrets) {
      matched |= ConstantTimeEquals(HmacSha256(secret, in.body), *candidate);
    }
  }
  if (!matched) return BadSignature("X-Hub-Signature-256 does not match");

  auto body = ProbeJsonObject(in.body, {"action"});
  if (!body.ok()) return body.status();
  auto delivery = IdentifierHeader(in.headers, "X-GitHub-Delivery");
  if (!delivery.ok()) return delivery.status();
  if (!*delivery || (*delivery)->empty()) {
    return Status::Malformed("missing_event_id", "missing X-GitHub-Delivery header");
  }
  auto name = IdentifierHeader(in.headers, "X-GitHub-Event");
  if (!name.ok()) return name.status();
  VerifiedEvent event;
  event.provider_event_id = std::move(**delivery);
  if (*name) {
    event.event_type = std::move(**name);
    auto action = body->find("action");
    if (!event.event_type.empty() && action != body->end() && !action->second.empty())
      event.event_type += "." + action->second;
    if (Status s = CheckIdentifier(event.event_type, "X-GitHub-Event with the body's action");
        !s.ok())
      return s;
  }
  return event;
}

}  // namespace hookd
