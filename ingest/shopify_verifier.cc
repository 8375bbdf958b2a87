#include "ingest/shopify_verifier.h"

#include <string>

#include "common/crypto.h"
#include "ingest/verifier_util.h"

namespace hookd {

Result<VerifiedEvent> ShopifyVerifier::Verify(const VerifyInput& in) const {
  auto signature = SingleSignatureHeader(in.headers, "X-Shopify-Hmac-Sha256");
  if (!signature.ok()) return signature.status();
  const std::optional<std::string_view>& header = *signature;
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
  auto id = IdentifierHeader(in.headers, "X-Shopify-Webhook-Id");
  if (!id.ok()) return id.status();
  if (!*id || (*id)->empty()) {
    return Status::Malformed("missing_event_id", "missing X-Shopify-Webhook-Id header");
  }
  auto topic = IdentifierHeader(in.headers, "X-Shopify-Topic");
  if (!topic.ok()) return topic.status();
  VerifiedEvent event;
  event.provider_event_id = std::move(**id);
  if (*topic) event.event_type = std::move(**topic);
  return event;
}

}  // namespace hookd
