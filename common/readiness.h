// Readiness: whether this process can commit to its database now (API.md, GET /readyz).
//
// Ready when the data directory has at least `min_free_bytes` free and a one-row commit goes
// through. The commit is made at most once a second; calls in between get its result. A full
// disk, a read-only file or a lost lock makes hookd not ready until a commit succeeds again.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/db.h"
#include "common/status.h"

namespace hookd {

class Readiness {
 public:
  // Free bytes of the filesystem holding `path`, or an error.
  using FreeSpace = std::function<Result<uint64_t>(const std::string& path)>;
  static Result<uint64_t> StatvfsFreeSpace(const std::string& path);

  Readiness(DbPool& pool, std::string data_dir, const Clock& clock,
            uint64_t min_free_bytes = 16ULL << 20, FreeSpace free_space = StatvfsFreeSpace);

  // OK, or 503 not_ready saying why.
  Status Check();

 private:
  Status Probe(int64_t now_ms);

  DbPool& pool_;
  const std::string data_dir_;
  const Clock& clock_;
  const uint64_t min_free_bytes_;
  const FreeSpace free_space_;
  std::mutex mu_;              // guards the two fields below, and serializes probes
  int64_t checked_at_ms_ = 0;  // 0: never
  Status last_;
};

}  // namespace hookd
