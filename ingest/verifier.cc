#include "ingest/verifier.h"

#include "ingest/github_verifier.h"
#include "ingest/shopify_verifier.h"
#include "ingest/standard_verifier.h"
#include "ingest/stripe_verifier.h"

namespace hookd {

std::unique_ptr<Verifier> MakeVerifier(std::string_view provider) {
  if (provider == "stripe") return std::make_unique<StripeVerifier>();
  if (provider == "github") return std::make_unique<GitHubVerifier>();
  if (provider == "standard") return std::make_unique<StandardVerifier>();
  if (provider == "shopify") return std::make_unique<ShopifyVerifier>();
  return nullptr;
}

bool IsKnownProvider(std::string_view provider) { return MakeVerifier(provider) != nullptr; }

}  // namespace hookd
