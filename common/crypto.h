// Cryptographic and encoding primitives (OpenSSL behind one file, common/crypto.cc).
// All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hookd {

// Raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string HmacSha256(std::string_view key, std::string_view message);

// Raw 32-byte SHA-256.
std::string Sha256(std::string_view data);

// Lower-case hex.
std::string HexEncode(std::string_view raw);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view hex);

// Standard base64 with padding.
std::string Base64Encode(std::string_view raw);
// Standard alphabet; padding optional; nullopt on any invalid character or length.
std::optional<std::string> Base64Decode(std::string_view b64);

// Equal length and equal bytes, in time independent of where they differ (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace hookd
