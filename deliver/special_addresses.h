// SpecialBlock: the address blocks an endpoint may not point into (API.md, "Endpoints"): every
// entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries that is not globally
// reachable, plus multicast and a few reserved or deprecated blocks. Blocks that embed an IPv4
// address (IPv4-mapped, IPv4-translated, NAT64, 6to4, Teredo) are refused whole
// (docs/DECISIONS.md, "SSRF: the special-purpose table"). The table is constant; thread-safe.
#pragma once

#include <span>
#include <string_view>

#include "deliver/ip_address.h"
#include "deliver/ip_prefix.h"

namespace hookd {

struct SpecialBlock {
  std::string_view cidr;  // "169.254.0.0/16"
  std::string_view name;  // the registry's name for it, "Link Local"
  std::string_view rfc;   // "RFC 3927"
  IpPrefix prefix;        // `cidr`, parsed
};

// Every refused block, IPv4 first, in registry order.
std::span<const SpecialBlock> SpecialBlocks();

// The most specific block that contains `addr` (IPv4 blocks hold only IPv4 addresses, IPv6 blocks
// only IPv6 ones), or nullptr when `addr` is in none.
const SpecialBlock* FindSpecialBlock(const IpAddress& addr);

}  // namespace hookd
