#include "ingest/github_verifier.h"

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/crypto.h"

namespace hookd {
namespace {

constexpr std::string_view kPrefix = "sha256=";

Status BadSignature(std::string msg) {
  return Status::Unauthenticated("invalid_signature", std::move(msg));
}

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

  auto body = nlohmann::json::parse(in.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::Malformed("invalid_json", "body is not a JSON object");
  }
  auto delivery = in.headers.Get("X-GitHub-Delivery");
  if (!delivery || delivery->empty()) {
    return Status::Malformed("missing_event_id", "missing X-GitHub-Delivery header");
  }
  VerifiedEvent event;
  event.provider_event_id = std::string(*delivery);
  if (auto name = in.headers.Get("X-GitHub-Event")) {
    event.event_type = std::string(*name);
    auto action = body.find("action");
    if (!name->empty() && action != body.end() && action->is_string() &&
        !action->get_ref<const std::string&>().empty()) {
      event.event_type += "." + action->get<std::string>();
    }
  }
  return event;
}

}  // namespace hookd
