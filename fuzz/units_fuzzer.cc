// The settings' unit parsers: ParseDuration, ParseDurationList, ParseSize, ParseBool. Input: one
// value ("15s", "5s,5m", "1MiB", "yes", ...), given to each parser.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/http_types.h"
#include "common/units.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace hookd;

// `ms` in the largest unit that divides it, which ParseDuration reads back to the same value.
std::string FormatDuration(int64_t ms) {
  static const std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [per, unit] : kUnits)
    if (ms % per == 0) return std::to_string(ms / per) + unit;
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::AsView(data, size);

  if (auto d = ParseDuration(text); d.ok()) {
    FUZZ_CHECK(d->count() >= 0, std::to_string(d->count()));
    auto again = ParseDuration(FormatDuration(d->count()));
    FUZZ_CHECK(again.ok() && *again == *d, FormatDuration(d->count()));
  } else {
    FUZZ_CHECK(d.status().kind() == ErrorKind::kInvalidField, d.status().ToString());
  }

  if (auto list = ParseDurationList(text); list.ok()) {
    FUZZ_CHECK(!list->empty(), "at least one entry");
    std::string joined;
    for (auto d : *list) {
      FUZZ_CHECK(d.count() >= 0, std::to_string(d.count()));
      joined += (joined.empty() ? "" : ",") + FormatDuration(d.count());
    }
    auto again = ParseDurationList(joined);
    FUZZ_CHECK(again.ok() && *again == *list, joined);
  }

  if (auto n = ParseSize(text); n.ok()) {
    FUZZ_CHECK(*n <= (1ULL << 40), std::to_string(*n));
    auto again = ParseSize(std::to_string(*n));
    FUZZ_CHECK(again.ok() && *again == *n, std::to_string(*n));
  }

  if (auto b = ParseBool(text); b.ok()) {
    auto again = ParseBool(*b ? "true" : "false");
    FUZZ_CHECK(again.ok() && *again == *b, "bool");
    FUZZ_CHECK(text.size() <= 5, "a known spelling");
  }
  return 0;
}
