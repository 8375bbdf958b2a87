// Random: the source of randomness, injected (ids, secrets, jitter) so tests can fix it.
// SecureRandom (OpenSSL RAND_bytes) is thread-safe. SeededRandom is deterministic and must not be
// shared across threads without external locking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hookd {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `n` bytes at `out`.
  virtual void Fill(uint8_t* out, size_t n) = 0;

  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    Fill(reinterpret_cast<uint8_t*>(s.data()), n);
    return s;
  }
  uint64_t NextU64() {
    uint64_t v = 0;
    Fill(reinterpret_cast<uint8_t*>(&v), sizeof v);
    return v;
  }
  // A uniform double in [0, 1).
  double NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
};

// Cryptographically secure; aborts if the system's generator fails.
class SecureRandom final : public Random {
 public:
  void Fill(uint8_t* out, size_t n) override;
};

// splitmix64: deterministic, for tests.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void Fill(uint8_t* out, size_t n) override;

 private:
  uint64_t state_;
};

}  // namespace hookd
