// Implementation of common/random.h: OpenSSL RAND_bytes and splitmix64.
#include "common/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace hookd {

namespace {

void FillFromOpenSsl(uint8_t* out, size_t n) {
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

// Small requests (ids, jitter: 8-10 bytes, several per delivery) are served from a per-thread
// buffer filled 512 bytes at a time: each RAND_bytes call costs about a microsecond (locking,
// and a getpid() for fork detection), whatever its size. hookd never forks, so the buffer's
// bytes are never handed out twice.
constexpr size_t kBufferSize = 512;
constexpr size_t kBufferedMax = 64;

}  // namespace

void SecureRandom::Fill(uint8_t* out, size_t n) {
  if (n > kBufferedMax) return FillFromOpenSsl(out, n);
  thread_local uint8_t buffer[kBufferSize];
  thread_local size_t used = kBufferSize;
  if (kBufferSize - used < n) {
    FillFromOpenSsl(buffer, kBufferSize);
    used = 0;
  }
  std::copy_n(buffer + used, n, out);
  // Bytes handed out are wiped, so they cannot be read again from this buffer.
  std::fill_n(buffer + used, n, uint8_t{0});
  used += n;
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
