// GitHubVerifier: verifies GitHub's `X-Hub-Signature-256: sha256=<hex>` header: HMAC-SHA256 of the
// body keyed with the secret. Event id = `X-GitHub-Delivery`, type = `X-GitHub-Event` plus
// ".<action>" when the body has a string `action`. Stateless and thread-safe.
#pragma once

#include "ingest/verifier.h"

namespace hookd {

class GitHubVerifier final : public Verifier {
 public:
  Result<VerifiedEvent> Verify(const VerifyInput& in) const override;
};

}  // namespace hookd
