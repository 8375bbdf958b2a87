#include "deliver/ssrf_guard.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "deliver/request_target.h"
#include "deliver/special_addresses.h"

namespace hookd {
namespace {

constexpr size_t kMaxUrlLength = 2048;

Status InvalidUrl(std::string msg) {
  return Status(ErrorKind::kInvalidField, "invalid_url", std::move(msg));
}

// `addr` is in `block`.
Status Forbidden(const IpAddress& addr, const SpecialBlock& block, const std::string& host) {
  return Status(ErrorKind::kInvalidField, "forbidden_target",
                "host '" + host + "' is or resolves to " + addr.ToString() + ", in " +
                    std::string(block.cidr) + " (" + std::string(block.name) + ", " +
                    std::string(block.rfc) +
                    "), which is not a globally reachable address; to deliver to such targets "
                    "(a local receiver while testing) set HOOKD_ALLOW_PRIVATE_TARGETS=1 "
                    "(--allow-private-targets)");
}

Status Unresolvable(const std::string& host, const std::string& why) {
  return Status(ErrorKind::kInvalidField, "unresolvable_host",
                "host '" + host + "' does not resolve: " + why);
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsRegNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

}  // namespace

Result<std::vector<IpAddress>> SystemResolver::Resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Unresolvable(host, gai_strerror(rc));
  std::vector<IpAddress> out;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    IpAddress addr;
    if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(sockaddr_in)) {
      sockaddr_in sin;
      std::memcpy(&sin, ai->ai_addr, sizeof(sin));
      std::memcpy(addr.bytes.data(), &sin.sin_addr, 4);
    } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(sockaddr_in6)) {
      sockaddr_in6 sin6;
      std::memcpy(&sin6, ai->ai_addr, sizeof(sin6));
      addr.v6 = true;
      std::memcpy(addr.bytes.data(), &sin6.sin6_addr, 16);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), addr) == out.end()) out.push_back(addr);
  }
  freeaddrinfo(res);
  if (out.empty()) return Unresolvable(host, "no A or AAAA answers");
  return out;
}

Result<EndpointUrl> ParseEndpointUrl(std::string_view url) {
  if (url.empty()) return InvalidUrl("url is empty");
  if (url.size() > kMaxUrlLength) {
    return InvalidUrl("url is longer than " + std::to_string(kMaxUrlLength) + " characters");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return InvalidUrl("url contains whitespace or control characters");
  }
  if (url.find('#') != std::string_view::npos) return InvalidUrl("url must not have a fragment");

  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return InvalidUrl("url must be absolute http(s)");
  EndpointUrl out;
  out.scheme = ToLower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return InvalidUrl("url scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view target = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    return InvalidUrl("url must not contain userinfo");
  }

  std::string_view host;
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidUrl("url has an unterminated IPv6 host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidUrl("url has junk after the IPv6 host");
      port = after.substr(1);
    }
    auto ip = ParseIpLiteral(host);
    if (!ip || !ip->v6) return InvalidUrl("url has an invalid IPv6 host");
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (char c : host) {
      if (!IsRegNameChar(Lower(c))) return InvalidUrl("url host has an invalid character");
    }
  }
  if (host.empty()) return InvalidUrl("url has no host");
  out.host = ToLower(host);

  if (port) {
    if (port->empty() || port->size() > 5) return InvalidUrl("url port must be 1..65535");
    uint32_t value = 0;
    for (char c : *port) {
      if (c < '0' || c > '9') return InvalidUrl("url port must be 1..65535");
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return InvalidUrl("url port must be 1..65535");
    out.port = static_cast<uint16_t>(value);
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }

  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + EncodeRequestTarget(target);
  } else {
    out.target = EncodeRequestTarget(target);
  }
  // The limit holds for the URL as it is sent, too.
  if (url.size() - target.size() + out.target.size() > kMaxUrlLength) {
    return InvalidUrl("url is longer than " + std::to_string(kMaxUrlLength) +
                      " characters once percent-encoded");
  }
  return out;
}

bool IsForbiddenAddress(const IpAddress& addr) { return FindSpecialBlock(addr) != nullptr; }

Result<EndpointUrl> SsrfGuard::CheckUrl(std::string_view url) {
  Result<EndpointUrl> parsed = ParseEndpointUrl(url);
  if (!parsed.ok()) return parsed;
  Result<IpAddress> addr = AddressToDial(*parsed);
  if (!addr.ok()) return addr.status();
  return parsed;
}

Result<IpAddress> SsrfGuard::AddressToDial(const EndpointUrl& url) {
  // A literal in any spelling is checked as is, without DNS.
  if (auto literal = ParseIpLiteral(url.host)) {
    if (allow_private_) return *literal;
    if (const SpecialBlock* block = FindSpecialBlock(*literal)) {
      return Forbidden(*literal, *block, url.host);
    }
    return *literal;
  }
  const int64_t now = clock_ ? clock_->NowUnixMillis() : 0;
  if (clock_) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(url.host);
    if (it != cache_.end() && now < it->second.expires_at_ms) return it->second.address;
  }
  Result<std::vector<IpAddress>> answers = resolver_.Resolve(url.host);
  if (!answers.ok()) return answers.status();
  if (answers->empty()) return Unresolvable(url.host, "no A or AAAA answers");
  if (!allow_private_) {
    for (const IpAddress& a : *answers) {
      if (const SpecialBlock* block = FindSpecialBlock(a)) {
        if (clock_) {
          std::lock_guard<std::mutex> lock(mu_);
          cache_.erase(url.host);
        }
        return Forbidden(a, *block, url.host);
      }
    }
  }
  if (clock_) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() >= kMaxCached) cache_.clear();  // rare; a refill costs one lookup each
    cache_[url.host] = {answers->front(), now + cache_ttl_.count()};
  }
  return answers->front();
}

}  // namespace hookd
