// PortalCodeRepository on SQLite, through the pool: the statements PortalLinks ran itself before
// the repository existed. Thread-safe (one pooled connection per call).
#pragma once

#include "apps/portal_code_repository.h"
#include "common/db.h"

namespace hookd {

class SqlitePortalCodeStore final : public PortalCodeRepository {
 public:
  explicit SqlitePortalCodeStore(DbPool& pool) : pool_(pool) {}

  Status Insert(const PortalCodeRecord& c) override;
  // A code that cannot be traded is refused from a read first, so a flood of guesses never takes
  // the write lock the publishers and the delivery engine need.
  Result<std::optional<PortalSession>> Redeem(const std::string& code_hash, int64_t now,
                                              AppTokenRecord token) override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
