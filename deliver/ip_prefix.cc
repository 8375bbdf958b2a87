#include "deliver/ip_prefix.h"

#include <cstddef>

namespace hookd {
namespace {

// The mask of byte `i` for a prefix of `bits` bits.
uint8_t ByteMask(size_t i, int bits) {
  const int in_byte = bits - static_cast<int>(8 * i);
  if (in_byte >= 8) return 0xff;
  if (in_byte <= 0) return 0;
  return static_cast<uint8_t>(0xff << (8 - in_byte));
}

}  // namespace

std::string IpPrefix::ToString() const { return base.ToString() + "/" + std::to_string(bits); }

std::optional<IpPrefix> ParseIpPrefix(std::string_view cidr) {
  const size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view address = cidr.substr(0, slash);
  const std::string_view length = cidr.substr(slash + 1);
  if (address.empty() || address.front() == '[') return std::nullopt;
  const bool v6 = address.find(':') != std::string_view::npos;
  auto base = ParseIpLiteral(address);
  if (!base || base->v6 != v6) return std::nullopt;
  // IPv4 only in its canonical dotted-quad form: no inet_aton shorthand or octal in a CIDR.
  if (!v6 && base->ToString() != address) return std::nullopt;

  if (length.empty() || length.size() > 3 || (length.size() > 1 && length.front() == '0')) {
    return std::nullopt;
  }
  int bits = 0;
  for (char c : length) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  const size_t width = v6 ? 16 : 4;
  if (bits > static_cast<int>(8 * width)) return std::nullopt;
  for (size_t i = 0; i < width; ++i) {
    if ((base->bytes[i] & ~ByteMask(i, bits) & 0xff) != 0) return std::nullopt;
  }
  return IpPrefix{*base, bits};
}

bool Contains(const IpPrefix& prefix, const IpAddress& addr) {
  if (addr.v6 != prefix.base.v6) return false;
  for (size_t i = 0; 8 * i < static_cast<size_t>(prefix.bits); ++i) {
    const uint8_t mask = ByteMask(i, prefix.bits);
    if ((addr.bytes[i] & mask) != (prefix.base.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace hookd
