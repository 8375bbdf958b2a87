// AppTokenRepository on PostgreSQL, over a PgPool: the same behaviour as SqliteAppTokenStore
// (docs/DECISIONS.md, "PostgreSQL: application tokens"). Each call is one statement in its own
// transaction, so a revocation committed through one node refuses the token on every other node's
// next Find. Thread-safe.
#pragma once

#include "apps/app_token_repository.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

// Inserts `t` on `conn` (in the caller's transaction, if any) under the FOR SHARE lock on its live
// application: false, and nothing inserted, when the application is gone. PgAppTokenStore::Insert
// and a redeemed portal code (PgPortalCodeStore) insert tokens through it.
Result<bool> InsertAppToken(PgConn& conn, const AppTokenRecord& t);

class PgAppTokenStore final : public AppTokenRepository {
 public:
  explicit PgAppTokenStore(PgPool& pool) : pool_(pool) {}

  // Only for a live application (404 otherwise); it holds a share lock on the application's row
  // until it commits, as PgSourceStore does.
  Status Insert(const AppTokenRecord& t) override;
  // Newest first by seq, as on SQLite. With several writers seqs can become visible out of order,
  // so a page read while another node commits a token can pass it (docs/DECISIONS.md).
  Result<std::vector<AppTokenRecord>> List(const std::string& app_id,
                                           const std::optional<std::string>& after,
                                           int limit) override;
  Status Revoke(const std::string& app_id, const std::string& token_id, int64_t now) override;
  Result<std::optional<AppCredential>> Find(const std::string& token_hash, int64_t now) override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
