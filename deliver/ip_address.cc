#include "deliver/ip_address.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

namespace hookd {
namespace {

constexpr uint64_t kMaxV4 = 0xffffffffULL;

// One inet_aton part: "0x"/"0X" hex (at least one digit), leading-0 octal, or decimal. Values
// above 2^32-1 are refused (no wrap-around).
std::optional<uint64_t> ParsePart(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
    if (s.empty()) return std::nullopt;
  } else if (s.size() >= 2 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  uint64_t value = 0;
  for (char c : s) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    value = value * base + digit;
    if (value > kMaxV4) return std::nullopt;
  }
  return value;
}

std::optional<IpAddress> ParseV4(std::string_view host) {
  std::vector<uint64_t> parts;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view part =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    auto value = ParsePart(part);  // empty part (incl. a trailing dot) -> nullopt
    if (!value) return std::nullopt;
    parts.push_back(*value);
    if (parts.size() > 4) return std::nullopt;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // Every part but the last is one byte; the last fills the remaining bytes.
  const size_t n = parts.size();
  for (size_t i = 0; i + 1 < n; ++i) {
    if (parts[i] > 0xff) return std::nullopt;
  }
  const uint64_t last_max = kMaxV4 >> (8 * (n - 1));
  if (parts[n - 1] > last_max) return std::nullopt;
  uint32_t value = static_cast<uint32_t>(parts[n - 1]);
  for (size_t i = 0; i + 1 < n; ++i) value |= static_cast<uint32_t>(parts[i]) << (24 - 8 * i);
  IpAddress addr;
  addr.v6 = false;
  addr.bytes[0] = static_cast<uint8_t>(value >> 24);
  addr.bytes[1] = static_cast<uint8_t>(value >> 16);
  addr.bytes[2] = static_cast<uint8_t>(value >> 8);
  addr.bytes[3] = static_cast<uint8_t>(value);
  return addr;
}

std::optional<IpAddress> ParseV6(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // A zone id ("%eth0") is refused; any stray bracket fails inet_pton below.
  if (host.empty() || host.size() >= INET6_ADDRSTRLEN || host.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string text(host);
  IpAddress addr;
  addr.v6 = true;
  if (inet_pton(AF_INET6, text.c_str(), addr.bytes.data()) != 1) return std::nullopt;
  return addr;
}

}  // namespace

std::string IpAddress::ToString() const {
  if (!v6) {
    return std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
           std::to_string(bytes[2]) + "." + std::to_string(bytes[3]);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

std::optional<IpAddress> ParseIpLiteral(std::string_view host) {
  if (host.empty()) return std::nullopt;
  if (host.find(':') != std::string_view::npos || host.front() == '[') return ParseV6(host);
  return ParseV4(host);
}

}  // namespace hookd
