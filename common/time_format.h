// RFC 3339 UTC timestamps for JSON ("2026-11-22T05:05:33.123Z"). Pure, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

std::string FormatRfc3339(int64_t unix_millis);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a "+HH:MM"/"-HH:MM" offset; nullopt otherwise.
std::optional<int64_t> ParseRfc3339(std::string_view text);

}  // namespace hookd
