// AppTokenRepository: durable storage of application tokens, whichever engine holds them
// (SqliteAppTokenStore on SQLite, PgAppTokenStore on PostgreSQL), with the same answers and error
// kinds on both. AppTokens (apps/app_tokens.h) makes, checks and shows tokens over it; a store
// only keeps rows and never sees a token, only its digest. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace hookd {

// What an application token grants: its application, and whether only reading (a read-only
// portal session).
struct AppCredential {
  std::string app_id;
  bool read_only = false;
};

// One row of app_tokens.
struct AppTokenRecord {
  std::string id;
  std::string app_id;
  std::string name;
  std::string token_hash;  // hex SHA-256 of the token
  int64_t created_at = 0;  // unix ms
  std::optional<int64_t> expires_at;
  std::optional<int64_t> revoked_at;
  std::string kind = "token";  // or "portal"
  bool read_only = false;
};

class AppTokenRepository {
 public:
  virtual ~AppTokenRepository() = default;

  // Only for a live application: 404 not_found ("no application <id>") otherwise.
  virtual Status Insert(const AppTokenRecord& t) = 0;
  // The application's tokens newest first (in insertion order, the table's seq), after the token
  // `after` (none when it is no token of the application's); up to limit + 1 rows. token_hash is
  // left empty.
  virtual Result<std::vector<AppTokenRecord>> List(const std::string& app_id,
                                                   const std::optional<std::string>& after,
                                                   int limit) = 0;
  // Sets revoked_at to `now` unless already set; 404 not_found for a token of another
  // application, as for an unknown one.
  virtual Status Revoke(const std::string& app_id, const std::string& token_id, int64_t now) = 0;
  // What the token with this digest grants at `now`: nullopt when it is unknown, revoked,
  // expired, or its application is deleted.
  virtual Result<std::optional<AppCredential>> Find(const std::string& token_hash, int64_t now) = 0;
};

}  // namespace hookd
