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
  auto header = in.headers.Get("X-Hub-Signature-256");
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
  auto delivery = in.headers.Get("X-GitHub-Delivery");
  if (!delivery || delivery->empty()) {
    return Status::Malformed("missing_event_id", "missing X-GitHub-Delivery header");
  }
  VerifiedEvent event;
  event.provider_event_id = std::string(*delivery);
  if (auto name = in.headers.Get("X-GitHub-Event")) {
    event.event_type = std::string(*name);
    auto action = body->find("action");
    if (!name->empty() && action != body->end() && !action->second.empty())
      event.event_type += "." + action->second;
  }
  return event;
}

}  // namespace hookd
