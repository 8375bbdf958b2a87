#include "common/units.h"

#include <charconv>
#include <cstdint>
#include <string>

#include "common/http_types.h"

namespace hookd {
namespace {

// Splits "15s" into 15 and "s"; fails on a missing or overflowing number.
bool SplitNumber(std::string_view text, uint64_t& number, std::string_view& suffix) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr == text.data()) return false;
  suffix = text.substr(static_cast<size_t>(ptr - text.data()));
  return true;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (!SplitNumber(text, n, unit))
    return Status::InvalidField("not a duration: \"" + std::string(text) + "\"");
  uint64_t ms_per = 0;
  if (unit == "ms")
    ms_per = 1;
  else if (unit == "s")
    ms_per = 1000;
  else if (unit == "m")
    ms_per = 60'000;
  else if (unit == "h")
    ms_per = 3'600'000;
  else if (unit == "d")
    ms_per = 86'400'000;
  else
    return Status::InvalidField("unknown duration unit in \"" + std::string(text) +
                                "\" (use ms, s, m, h or d)");
  // Also bounded by what fits in int64 milliseconds once multiplied by the unit (2^40 days would
  // wrap).
  if (n > (1ULL << 40) || n > static_cast<uint64_t>(INT64_MAX) / ms_per)
    return Status::InvalidField("duration too large: " + std::string(text));
  return std::chrono::milliseconds(static_cast<int64_t>(n * ms_per));
}

Result<std::vector<std::chrono::milliseconds>> ParseDurationList(std::string_view text) {
  std::vector<std::chrono::milliseconds> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    auto d = ParseDuration(text.substr(start, comma - start));
    if (!d.ok()) return d.status();
    out.push_back(*d);
    start = comma + 1;
  }
  return out;
}

Result<uint64_t> ParseSize(std::string_view text) {
  uint64_t n = 0;
  std::string_view unit;
  if (!SplitNumber(text, n, unit))
    return Status::InvalidField("not a size: \"" + std::string(text) + "\"");
  uint64_t mult = 0;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB")
    mult = 1ULL << 10;
  else if (unit == "MiB")
    mult = 1ULL << 20;
  else if (unit == "GiB")
    mult = 1ULL << 30;
  else if (unit == "KB")
    mult = 1000;
  else if (unit == "MB")
    mult = 1000 * 1000;
  else if (unit == "GB")
    mult = 1000 * 1000 * 1000;
  else
    return Status::InvalidField("unknown size unit in \"" + std::string(text) +
                                "\" (use B, KiB, MiB, GiB, KB, MB or GB)");
  if (n > (1ULL << 40) / mult) return Status::InvalidField("size too large: " + std::string(text));
  return n * mult;
}

Result<bool> ParseBool(std::string_view text) {
  for (const char* t : {"1", "true", "yes", "on"})
    if (EqualsIgnoreCase(text, t)) return true;
  for (const char* f : {"0", "false", "no", "off", ""})
    if (EqualsIgnoreCase(text, f)) return false;
  return Status::InvalidField("not a boolean: \"" + std::string(text) + "\"");
}

}  // namespace hookd
