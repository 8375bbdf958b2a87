#include "common/byte_budget.h"

#include <algorithm>

namespace hookd {

ByteBudget::ByteBudget(size_t total_bytes, size_t small_bytes, double large_share)
    : total_(total_bytes),
      small_(small_bytes),
      large_limit_(static_cast<size_t>(static_cast<double>(total_bytes) * large_share)) {}

bool ByteBudget::Add(std::atomic<size_t>& counter, long long delta, size_t limit) {
  size_t cur = counter.load();
  while (true) {
    const long long next = static_cast<long long>(cur) + delta;
    if (delta > 0 && static_cast<size_t>(next) > limit) return false;
    if (counter.compare_exchange_weak(cur, static_cast<size_t>(std::max(0LL, next)))) return true;
  }
}

bool ByteBudget::Resize(size_t before, size_t after) {
  const auto large = [this](size_t n) { return n > small_ ? n - small_ : 0; };
  const long long delta = static_cast<long long>(after) - static_cast<long long>(before);
  const long long large_delta =
      static_cast<long long>(large(after)) - static_cast<long long>(large(before));
  if (!Add(large_used_, large_delta, large_limit_)) return false;
  if (!Add(used_, delta, total_)) {
    Add(large_used_, -large_delta, large_limit_);
    return false;
  }
  return true;
}

}  // namespace hookd
