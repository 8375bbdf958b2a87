// Verifier: checks one provider's webhook signature and extracts the provider's event id and
// event type (API.md, "Sources and ingest"). One implementation per provider, created by
// MakeVerifier. Implementations are stateless and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_types.h"
#include "common/result.h"

namespace hookd {

struct VerifyInput {
  const Headers& headers;
  std::string_view body;
  // Every secret that currently verifies (the current one, plus the previous one during a
  // rotation's grace period). Any one matching signature passes.
  const std::vector<std::string>& secrets;
  int64_t tolerance_seconds;
  int64_t now_unix_seconds;
};

struct VerifiedEvent {
  std::string provider_event_id;  // the dedup key
  std::string event_type;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // On success, the event id and type. On failure a Status with one of these codes:
  //   401 invalid_signature          missing/malformed signature header, no signature matches
  //   401 timestamp_out_of_tolerance |now - timestamp| > tolerance (stripe, standard)
  //   400 invalid_json               signature fine but the body is not a JSON object
  //   400 missing_event_id           signature fine but no event id where the provider puts it
  // Signatures are checked before the body is parsed, so an unsigned request learns nothing
  // about the body.
  virtual Result<VerifiedEvent> Verify(const VerifyInput& in) const = 0;
};

// The verifier for "stripe", "github", "standard" or "shopify"; nullptr for anything else.
std::unique_ptr<Verifier> MakeVerifier(std::string_view provider);

// True when MakeVerifier knows `provider`.
bool IsKnownProvider(std::string_view provider);

}  // namespace hookd
