#include "ingest/shopify_verifier.h"

#include <string>

#include "common/crypto.h"
#include "ingest/verifier_util.h"

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
    return BadSignature("X-Shopify-Hmac-Sha256 does not match");
  }

  if (auto body = ProbeJsonObject(in.body, {}); !body.ok()) return body.status();
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
