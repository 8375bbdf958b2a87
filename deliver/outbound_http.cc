#include "deliver/outbound_http.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace hookd {

std::string PoolKey(const OutboundRequest& request) {
  const EndpointUrl& u = request.url;
  std::string key = u.scheme;
  key += "://";
  key += u.host;
  key += ':';
  key += std::to_string(u.port);
  return key;
}

std::string HostHeader(const EndpointUrl& url) {
  std::string host;
  if (url.host.find(':') != std::string::npos) {
    host.push_back('[');
    host.append(url.host).push_back(']');
  } else {
    host = url.host;
  }
  const uint16_t default_port = url.scheme == "https" ? 443 : 80;
  if (url.port != default_port) {
    host.push_back(':');
    host.append(std::to_string(url.port));
  }
  return host;
}

bool EqualsLower(const std::string& name, const char* lower) {
  return name.size() == std::char_traits<char>::length(lower) &&
         std::equal(name.begin(), name.end(), lower, [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

bool IsReservedHeader(const std::string& name) {
  static const char* const kReserved[] = {"host",       "content-type",      "content-length",
                                          "user-agent", "transfer-encoding", "connection"};
  return std::any_of(std::begin(kReserved), std::end(kReserved),
                     [&](const char* reserved) { return EqualsLower(name, reserved); });
}

}  // namespace hookd
