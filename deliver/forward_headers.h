// Forwarded headers: the headers of a provider's original request that an endpoint asks to have
// copied onto the deliveries of messages made from that event (an endpoint's `forward_headers`:
// names like "x-github-event" or prefix patterns like "x-github-*", matched ignoring case).
// Validation for the endpoint API and matching for the delivery. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hookd {

// At most this many entries in forward_headers.
inline constexpr size_t kMaxForwardHeaders = 32;

// The request field `forward_headers`: an array of at most kMaxForwardHeaders header names, each
// of HTTP token characters, or a prefix of them followed by one final '*'. Returned lower-case,
// without duplicates, in the order given. 422 invalid_field (naming the entry) for anything else,
// for a name that is never forwarded (ForwardRefusal), and for a pattern that could only match
// such names ("webhook-*", "content-*"). A broader pattern is accepted ("x-shopify-*"), and the
// names it matches that are never forwarded (x-shopify-hmac-sha256) are left out at delivery.
Result<std::vector<std::string>> ParseForwardHeaders(const nlohmann::json& value);

// Why a lower-case header name is never forwarded ("" when it may be): the headers hookd sets on
// every delivery (host, content-*, user-agent, accept, webhook-*, hookd-*), hop-by-hop headers,
// credentials (authorization, cookie: ingest does not store them) and provider signatures
// (x-hub-signature*, stripe-signature, x-shopify-hmac-sha256, svix-*).
std::string ForwardRefusal(std::string_view lower_name);

// `lower_name` is matched by one of the (lower-case) patterns.
bool MatchesForwardPattern(std::string_view lower_name, const std::vector<std::string>& patterns);

}  // namespace hookd
