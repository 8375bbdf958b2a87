#include "deliver/special_addresses.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace hookd {
namespace {

struct Row {
  std::string_view cidr, name, rfc;
};

// Transcribed from the IANA IPv4 and IPv6 Special-Purpose Address Registries: every entry whose
// "Globally Reachable" is False, N/A or empty. Globally reachable entries are left out; the ones
// that lie inside a refused block are refused with it (noted at that block).
constexpr Row kRows[] = {
    // IPv4 Special-Purpose Address Registry.
    {"0.0.0.0/8", "\"This network\"", "RFC 791"},
    {"0.0.0.0/32", "\"This host on this network\"", "RFC 1122"},
    {"10.0.0.0/8", "Private-Use", "RFC 1918"},
    {"100.64.0.0/10", "Shared Address Space", "RFC 6598"},
    {"127.0.0.0/8", "Loopback", "RFC 1122"},
    {"169.254.0.0/16", "Link Local", "RFC 3927"},  // cloud metadata, 169.254.169.254
    {"172.16.0.0/12", "Private-Use", "RFC 1918"},
    // Holds the globally reachable 192.0.0.9/32 (PCP anycast, RFC 7723) and 192.0.0.10/32 (TURN
    // anycast, RFC 8155): refused with the block.
    {"192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"},
    {"192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"},
    {"192.0.0.8/32", "IPv4 dummy address", "RFC 7600"},
    {"192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050"},
    {"192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050"},
    {"192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"},
    {"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"},  // terminated 2015
    {"192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"},
    {"192.168.0.0/16", "Private-Use", "RFC 1918"},
    {"198.18.0.0/15", "Benchmarking", "RFC 2544"},
    {"198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"},
    {"203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"},
    {"240.0.0.0/4", "Reserved", "RFC 1112"},
    {"255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919"},
    // IPv4, not in the registry.
    {"224.0.0.0/4", "Multicast", "RFC 5771"},

    // IPv6 Special-Purpose Address Registry.
    {"::1/128", "Loopback Address", "RFC 4291"},
    {"::/128", "Unspecified Address", "RFC 4291"},
    {"::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291"},
    // Globally reachable per the registry, refused anyway: it embeds an IPv4 address.
    {"64:ff9b::/96", "IPv4-IPv6 Translat. (well-known NAT64 prefix)", "RFC 6052"},
    {"64:ff9b:1::/48", "IPv4-IPv6 Translat. (local-use NAT64 prefix)", "RFC 8215"},
    {"100::/64", "Discard-Only Address Block", "RFC 6666"},
    {"100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"},
    // Holds the globally reachable 2001:1::1/128, 2001:1::2/128, 2001:1::3/128 (anycast),
    // 2001:3::/32 (AMT), 2001:4:112::/48 (AS112-v6), 2001:20::/28 (ORCHIDv2) and 2001:30::/28
    // (DRIP DETs): refused with the block.
    {"2001::/23", "IETF Protocol Assignments", "RFC 2928"},
    {"2001::/32", "TEREDO", "RFC 4380, RFC 8190"},
    {"2001:2::/48", "Benchmarking", "RFC 5180"},
    {"2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"},  // terminated 2014
    {"2001:db8::/32", "Documentation", "RFC 3849"},
    {"2002::/16", "6to4", "RFC 3056"},
    {"3fff::/20", "Documentation", "RFC 9637"},
    {"5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"},
    {"fc00::/7", "Unique-Local", "RFC 4193, RFC 8190"},
    {"fe80::/10", "Link-Local Unicast", "RFC 4291"},
    // IPv6, not in the registry.
    {"::/96", "IPv4-compatible Address (deprecated)", "RFC 4291"},
    {"::ffff:0:0:0/96", "IPv4-translated Address", "RFC 2765"},
    {"fec0::/10", "Site-Local Unicast (deprecated)", "RFC 3879"},
    {"ff00::/8", "Multicast", "RFC 4291"},
};

std::vector<SpecialBlock> BuildBlocks() {
  std::vector<SpecialBlock> blocks;
  blocks.reserve(std::size(kRows));
  for (const Row& row : kRows) {
    auto prefix = ParseIpPrefix(row.cidr);
    if (!prefix) {  // a typo in the table above; the unit tests parse every row
      std::fprintf(stderr, "special_addresses: bad CIDR '%.*s'\n",
                   static_cast<int>(row.cidr.size()), row.cidr.data());
      std::abort();
    }
    blocks.push_back(SpecialBlock{row.cidr, row.name, row.rfc, *prefix});
  }
  return blocks;
}

}  // namespace

std::span<const SpecialBlock> SpecialBlocks() {
  static const std::vector<SpecialBlock> blocks = BuildBlocks();
  return blocks;
}

const SpecialBlock* FindSpecialBlock(const IpAddress& addr) {
  const SpecialBlock* best = nullptr;
  for (const SpecialBlock& block : SpecialBlocks()) {
    if (Contains(block.prefix, addr) &&
        (best == nullptr || block.prefix.bits > best->prefix.bits)) {
      best = &block;
    }
  }
  return best;
}

}  // namespace hookd
