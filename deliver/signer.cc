#include "deliver/signer.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"

namespace hookd {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr size_t kGeneratedSecretBytes = 24;
constexpr size_t kMinSecretBytes = 24;
constexpr size_t kMaxSecretBytes = 64;

// The raw key of a "whsec_<base64>" secret; nullopt without the prefix or valid base64.
std::optional<std::string> SecretKey(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) return std::nullopt;
  return Base64Decode(secret.substr(kSecretPrefix.size()));
}

}  // namespace

std::string SignatureHeader(std::string_view msg_id, int64_t timestamp, std::string_view body,
                            const std::vector<std::string>& secrets) {
  std::string to_sign;
  to_sign.reserve(msg_id.size() + body.size() + 24);
  to_sign.append(msg_id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  std::string header;
  for (const std::string& secret : secrets) {
    const auto key = SecretKey(secret);
    if (!key) continue;
    if (!header.empty()) header += ' ';
    header += "v1,";
    header += Base64Encode(HmacSha256(*key, to_sign));
  }
  return header;
}

std::string GenerateEndpointSecret(Random& random) {
  return std::string(kSecretPrefix) + Base64Encode(random.Bytes(kGeneratedSecretBytes));
}

Status ValidateEndpointSecret(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) {
    return Status::InvalidField("secret must start with \"whsec_\"");
  }
  const auto key = SecretKey(secret);
  if (!key) return Status::InvalidField("secret must be \"whsec_\" followed by base64");
  if (key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
    return Status::InvalidField("secret must encode 24 to 64 bytes");
  }
  return Status::Ok();
}

}  // namespace hookd
