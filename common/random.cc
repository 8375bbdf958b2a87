// Implementation of common/random.h: OpenSSL RAND_bytes and splitmix64.
#include "common/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace hookd {

void SecureRandom::Fill(uint8_t* out, size_t n) {
  while (n > 0) {
    size_t chunk = std::min<size_t>(n, INT_MAX);
    if (RAND_bytes(out, static_cast<int>(chunk)) != 1) {
      std::fputs("hookd: RAND_bytes failed; refusing to continue without randomness\n", stderr);
      std::abort();
    }
    out += chunk;
    n -= chunk;
  }
}

void SeededRandom::Fill(uint8_t* out, size_t n) {
  // Each splitmix64 output yields 8 bytes, little-endian, so the stream is the same on every
  // platform; the unused tail of the last output is discarded.
  while (n > 0) {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (int i = 0; i < 8 && n > 0; ++i, --n) {
      *out++ = static_cast<uint8_t>(z >> (8 * i));
    }
  }
}

}  // namespace hookd
