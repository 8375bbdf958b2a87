// PgStatusSource: the status hub's StatusSource over PostgreSQL's status_log, read through a
// PgPool. Seqs there become visible in increasing order with no gaps (storage/pg/pg_status_log.h),
// so reading seq > last never skips an entry another node commits later. Called from one thread
// at a time, as every StatusSource; the pool is thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/pg/pg_pool.h"
#include "web/status_source.h"

namespace hookd {

class PgStatusSource final : public StatusSource {
 public:
  explicit PgStatusSource(PgPool& pool) : pool_(pool) {}
  // Entries with seq > after, oldest first, at most `limit`; data is filled as text only
  // (data_text), as SqliteStatusSource does.
  Result<std::vector<StatusEntry>> ReadAfter(int64_t after, int limit) override;
  // The head's seq: the last committed one (it never goes back, even when retention empties the
  // log).
  Result<int64_t> LastSeq() override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
