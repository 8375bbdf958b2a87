// PortalCodeRepository on PostgreSQL, over a PgPool: the same answers as SqlitePortalCodeStore
// (docs/DECISIONS.md, "PostgreSQL: portal codes and application stats"). Redeeming is one
// transaction: the UPDATE that marks the code used (only if unused and unexpired) decides which of
// several nodes gets the session, and the session token is inserted by InsertAppToken in the same
// transaction under the FOR SHARE lock on the live application, so a code of an application deleted
// meanwhile stays as it was. Thread-safe.
#pragma once

#include "apps/portal_code_repository.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgPortalCodeStore final : public PortalCodeRepository {
 public:
  explicit PgPortalCodeStore(PgPool& pool) : pool_(pool) {}

  Status Insert(const PortalCodeRecord& c) override;
  Result<std::optional<PortalSession>> Redeem(const std::string& code_hash, int64_t now,
                                              AppTokenRecord token) override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
