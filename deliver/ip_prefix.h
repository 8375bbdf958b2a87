// IpPrefix: an address block in CIDR notation ("169.254.0.0/16", "fe80::/10") and the test of
// whether an address lies in it. Value type; functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "deliver/ip_address.h"

namespace hookd {

struct IpPrefix {
  IpAddress base;  // its host bits are zero
  int bits = 0;    // 0..32 for IPv4, 0..128 for IPv6

  std::string ToString() const;  // "169.254.0.0/16"
  bool operator==(const IpPrefix&) const = default;
};

// Parses "<address>/<bits>": a dotted-quad IPv4 address or an IPv6 address (no brackets), and a
// decimal length within the family's width. nullopt for anything else, including a base with
// host bits set ("10.0.0.1/8").
std::optional<IpPrefix> ParseIpPrefix(std::string_view cidr);

// True when `addr` is of the prefix's family and its first `bits` bits equal the base's.
bool Contains(const IpPrefix& prefix, const IpAddress& addr);

}  // namespace hookd
