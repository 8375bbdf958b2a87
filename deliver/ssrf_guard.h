// SsrfGuard: refuses endpoint URLs that point inside the network (API.md, "Endpoints"), at
// registration and again at every delivery against the address actually dialled: the host is
// resolved once, every answer is checked, and the sender connects to the checked address.
// The Resolver is injected so tests can script DNS answers. With a clock, a checked answer is
// kept for a short time (30 s) so attempts do not each wait for DNS: the address dialled is still
// the one checked, and after the time a new answer is checked afresh (a name whose answer turns
// private is then refused). Refusals and failures are not kept. Thread-safe when the Resolver is.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "deliver/ip_address.h"

namespace hookd {

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Every A/AAAA answer for `host`; 422 invalid_url-ish Status (kInvalidField, code
  // "unresolvable_host") when the name does not resolve.
  virtual Result<std::vector<IpAddress>> Resolve(const std::string& host) = 0;
};

// getaddrinfo.
class SystemResolver final : public Resolver {
 public:
  Result<std::vector<IpAddress>> Resolve(const std::string& host) override;
};

struct EndpointUrl {
  std::string scheme;  // "http" | "https"
  std::string host;    // lower-case; IPv6 without brackets
  uint16_t port = 0;   // explicit or the scheme's default
  std::string target;  // path and query, at least "/"; percent-encoded (deliver/request_target.h)
};

// Parses an endpoint URL. 422 invalid_url (kInvalidField) unless it is absolute http(s) with a
// host, no userinfo ("user@"), no fragment, a port in 1..65535, no whitespace or control chars.
Result<EndpointUrl> ParseEndpointUrl(std::string_view url);

// True when `addr` is in a special-purpose block that is not globally reachable: loopback,
// private, link-local, unique-local, multicast, unspecified, documentation, benchmarking, and
// every IPv6 block that embeds an IPv4 address (mapped, translated, compatible, NAT64, 6to4,
// Teredo). The full table is deliver/special_addresses.cc.
bool IsForbiddenAddress(const IpAddress& addr);

class SsrfGuard {
 public:
  // Without `clock`, every call resolves.
  SsrfGuard(Resolver& resolver, bool allow_private, const Clock* clock = nullptr,
            std::chrono::milliseconds cache_ttl = std::chrono::seconds(30))
      : resolver_(resolver), allow_private_(allow_private), clock_(clock), cache_ttl_(cache_ttl) {}

  // For registration: the parsed URL, or 422 invalid_url / 422 forbidden_target (a literal or
  // any resolved address is forbidden) / 422 unresolvable_host.
  Result<EndpointUrl> CheckUrl(std::string_view url);

  // For connecting: resolves once and returns the address to dial. 422 forbidden_target when
  // any answer is forbidden (so a name that mixes public and private answers is refused).
  // With allow_private, the first answer is returned unchecked.
  Result<IpAddress> AddressToDial(const EndpointUrl& url);

  bool allow_private() const { return allow_private_; }

 private:
  struct Checked {
    IpAddress address;
    int64_t expires_at_ms = 0;
  };
  static constexpr size_t kMaxCached = 4096;

  Resolver& resolver_;
  const bool allow_private_;
  const Clock* const clock_;
  const std::chrono::milliseconds cache_ttl_;
  std::mutex mu_;
  std::map<std::string, Checked> cache_;  // host -> checked answer; guarded by mu_
};

}  // namespace hookd
