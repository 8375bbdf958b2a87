// StandardVerifier: verifies Standard Webhooks / Svix: `webhook-id`, `webhook-timestamp` and
// `webhook-signature: v1,<base64>[ v1,<base64>...]` (or the same headers named `svix-*`).
// HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the base64-decoded part of the secret after
// `whsec_`; the timestamp must lie within tolerance of now. Event id = `webhook-id`, type = body
// "type".
// Stateless and thread-safe.
#pragma once

#include "ingest/verifier.h"

namespace hookd {

class StandardVerifier final : public Verifier {
 public:
  Result<VerifiedEvent> Verify(const VerifyInput& in) const override;
};

}  // namespace hookd
