// IpAddress: an IPv4 or IPv6 address as bytes, with the literal parsing the SSRF guard needs
// (including the odd IPv4 spellings inet_aton accepts: "127.1", "2130706433", "0x7f000001",
// "0177.0.0.1"). Value type; functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  std::string ToString() const;  // "127.0.0.1", "::1"
  bool operator==(const IpAddress&) const = default;
};

// Parses a host that is an IP literal: dotted/short/hex/octal IPv4 forms, or IPv6 with or without
// [brackets] (a zone id "%eth0" is refused). nullopt when `host` is not an IP literal.
std::optional<IpAddress> ParseIpLiteral(std::string_view host);

}  // namespace hookd
