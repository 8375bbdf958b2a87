// StatusSource: where the status streams read the durable status log from. The interface lets
// the hub's tests use an in-memory log; SqliteStatusSource reads the status_log table through a
// DbPool. Implementations are called from one thread at a time (the hub's reader thread).
#pragma once

#include <cstdint>
#include <vector>

#include "common/db.h"
#include "common/result.h"
#include "common/status_log.h"

namespace hookd {

class StatusSource {
 public:
  virtual ~StatusSource() = default;
  // Entries with seq > after, oldest first, at most `limit`.
  virtual Result<std::vector<StatusEntry>> ReadAfter(int64_t after, int limit) = 0;
  // The highest committed seq (0 for an empty log).
  virtual Result<int64_t> LastSeq() = 0;
};

class SqliteStatusSource final : public StatusSource {
 public:
  explicit SqliteStatusSource(DbPool& pool) : pool_(pool) {}
  Result<std::vector<StatusEntry>> ReadAfter(int64_t after, int limit) override;
  Result<int64_t> LastSeq() override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
