// ByteBudget: one bound on the bytes every connection together may hold for requests that have
// not arrived whole, so slow or unfinished uploads cannot grow memory without end.
//
// Each connection's first `small_bytes` (headers and small bodies) may use the whole budget;
// bytes beyond that (large bodies) may use only `large_share` of it. Many half-sent large
// bodies are therefore refused while room is left for ordinary requests.
// Thread-safe (atomics); a connection's own charge is kept by the caller.
#pragma once

#include <atomic>
#include <cstddef>

namespace hookd {

class ByteBudget {
 public:
  ByteBudget(size_t total_bytes, size_t small_bytes, double large_share = 0.75);

  // Moves a connection's charge from `before` to `after` bytes. False (and nothing charged) when
  // growing it would pass the budget; shrinking always succeeds.
  bool Resize(size_t before, size_t after);

  size_t used() const { return used_.load(); }
  size_t total() const { return total_; }

 private:
  static bool Add(std::atomic<size_t>& counter, long long delta, size_t limit);

  const size_t total_;
  const size_t small_;
  const size_t large_limit_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> large_used_{0};
};

}  // namespace hookd
