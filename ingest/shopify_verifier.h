// ShopifyVerifier: verifies Shopify's `X-Shopify-Hmac-Sha256: <base64>` header: HMAC-SHA256 of the
// body keyed with the secret. Event id = `X-Shopify-Webhook-Id`, type = `X-Shopify-Topic`; no
// timestamp. Stateless and thread-safe.
#pragma once

#include "ingest/verifier.h"

namespace hookd {

class ShopifyVerifier final : public Verifier {
 public:
  Result<VerifiedEvent> Verify(const VerifyInput& in) const override;
};

}  // namespace hookd
