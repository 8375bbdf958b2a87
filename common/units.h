// Parsing of the human units used in settings: durations ("500ms", "15s", "5m", "2h", "1d")
// and sizes ("1MiB", "512KiB", "1048576"). Pure, thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace hookd {

Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
// A comma-separated list of durations, e.g. "5s,5m,30m,2h"; at least one entry.
Result<std::vector<std::chrono::milliseconds>> ParseDurationList(std::string_view text);
// Bytes; suffixes B, KiB, MiB, GiB (powers of 1024) and KB, MB, GB (powers of 1000).
Result<uint64_t> ParseSize(std::string_view text);
// "1", "true", "yes", "on" / "0", "false", "no", "off" (case-insensitive).
Result<bool> ParseBool(std::string_view text);

}  // namespace hookd
