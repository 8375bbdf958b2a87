#include "common/ids.h"

#include <cstdint>

namespace hookd {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string NewId(std::string_view prefix, const Clock& clock, Random& random) {
  const uint64_t ms = static_cast<uint64_t>(clock.NowUnixMillis()) & ((1ULL << 48) - 1);
  uint8_t rnd[10];
  random.Fill(rnd, sizeof rnd);
  // 128 bits: 48 of time, 80 of randomness, written as 26 base32 digits (130 bits, top 2 zero).
  unsigned __int128 v = ms;
  for (uint8_t b : rnd) v = (v << 8) | b;
  std::string out(prefix);
  out.push_back('_');
  char digits[26];
  for (int i = 25; i >= 0; --i) {
    digits[i] = kAlphabet[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  out.append(digits, 26);
  return out;
}

bool LooksLikeId(std::string_view prefix, std::string_view id) {
  if (id.size() != prefix.size() + 27 || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '_')
    return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (std::string_view(kAlphabet).find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace hookd
