#include "ingest/shopify_verifier.h"

#include <string>

#include <nlohmann/json.hpp>

#include "common/crypto.h"

namespace hookd {

Result<VerifiedEvent> ShopifyVerifier::Verify(const VerifyInput& in) const {
  auto header = in.headers.Get("X-Shopify-Hmac-Sha256");
  if (!header) {
    return Status::Unauthenticated("invalid_signature", "missing X-Shopify-Hmac-Sha256 header");
  }
  auto candidate = Base64Decode(*header);
  bool matched = false;
  if (candidate) {
    for (const std::string& secret : in.secrets) {
      matched |= ConstantTimeEquals(HmacSha256(secret, in.body), *candidate);
    }
  }
  if (!matched) {
    return Status::Unauthenticated("invalid_signature", "X-Shopify-Hmac-Sha256 does not match");
  }

  auto body = nlohmann::json::parse(in.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::Malformed("invalid_json", "body is not a JSON object");
  }
  auto id = in.headers.Get("X-Shopify-Webhook-Id");
  if (!id || id->empty()) {
    return Status::Malformed("missing_event_id", "missing X-Shopify-Webhook-Id header");
  }
  VerifiedEvent event;
  event.provider_event_id = std::string(*id);
  if (auto topic = in.headers.Get("X-Shopify-Topic")) event.event_type = std::string(*topic);
  return event;
}

}  // namespace hookd
