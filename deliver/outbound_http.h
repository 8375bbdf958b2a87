// Small pieces outbound requests and pools are built with (AsyncHttpSender, and the delivery
// headers): the pool key, the Host header, and which endpoint headers the sender owns. Pure;
// thread-safe.
#pragma once

#include <string>

#include "deliver/sender.h"

namespace hookd {

// Connections are pooled per origin: scheme, host and port (the sender also matches the address
// dialled). Not per endpoint: endpoints on one origin share keep-alive connections, while the
// engine still caps each endpoint's attempts in flight (docs/DECISIONS.md, "Keep-alive pooled per
// origin").
std::string PoolKey(const OutboundRequest& request);

// "host", "host:8080", "[::1]:8080": the port only when it is not the scheme's default.
std::string HostHeader(const EndpointUrl& url);

// `name` equals the lower-case `lower`, ignoring case.
bool EqualsLower(const std::string& name, const char* lower);

// Headers the sender owns (framing, and the ones it sets itself); an endpoint's custom headers
// of these names are not sent.
bool IsReservedHeader(const std::string& name);

}  // namespace hookd
