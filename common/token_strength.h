// CheckAdminTokenStrength: the rule a configured admin token must meet (docs/DECISIONS.md,
// "Admin token strength").
//
// At least 24 characters, at least 8 of them different (so "aaaa…" or "abcabc…" fail however
// long), and only visible ASCII (a Bearer header carries no spaces or control characters). A
// generated token (hkd_ and 48 hex digits) always passes; so does `openssl rand -hex 32`.
// Pure; thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"

namespace hookd {

inline constexpr size_t kMinAdminTokenLength = 24;
inline constexpr size_t kMinAdminTokenDistinct = 8;

// OK, or 422 invalid_field naming `source` (the variable or file the token came from) and the rule.
Status CheckAdminTokenStrength(std::string_view token, std::string_view source);

}  // namespace hookd
