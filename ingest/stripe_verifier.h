// StripeVerifier: verifies Stripe's `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]` header:
// hex HMAC-SHA256 of "<t>.<body>" keyed with the secret string as given; the timestamp must lie
// within tolerance of now (checked after the signature). Event id = body "id", type = body "type".
// Stateless and thread-safe.
#pragma once

#include "ingest/verifier.h"

namespace hookd {

class StripeVerifier final : public Verifier {
 public:
  Result<VerifiedEvent> Verify(const VerifyInput& in) const override;
};

}  // namespace hookd
