// Standard Webhooks signing of outbound deliveries (API.md, "Messages and deliveries").
// Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/result.h"

namespace hookd {

// "v1,<base64 HMAC-SHA256(key, "<msg_id>.<timestamp>.<body>")>" for each secret, joined by a
// space, where key is the base64-decoded part after "whsec_". Secrets are validated when stored,
// so an undecodable one is a programming error (skipped).
std::string SignatureHeader(std::string_view msg_id, int64_t timestamp, std::string_view body,
                            const std::vector<std::string>& secrets);

// "whsec_" + base64 of 24 random bytes.
std::string GenerateEndpointSecret(Random& random);

// OK when `secret` is "whsec_" followed by base64 of 24 to 64 bytes; 422 invalid_field otherwise.
Status ValidateEndpointSecret(std::string_view secret);

}  // namespace hookd
