// AppTokenRepository on SQLite, through the pool: one cached statement per call. Thread-safe
// (one pooled connection per call).
#pragma once

#include "apps/app_token_repository.h"
#include "common/db.h"

namespace hookd {

class SqliteAppTokenStore final : public AppTokenRepository {
 public:
  explicit SqliteAppTokenStore(DbPool& pool) : pool_(pool) {}

  Status Insert(const AppTokenRecord& t) override;
  Result<std::vector<AppTokenRecord>> List(const std::string& app_id,
                                           const std::optional<std::string>& after,
                                           int limit) override;
  Status Revoke(const std::string& app_id, const std::string& token_id, int64_t now) override;
  Result<std::optional<AppCredential>> Find(const std::string& token_hash, int64_t now) override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
