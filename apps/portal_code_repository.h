// PortalCodeRepository: durable storage of one-time portal codes, whichever engine holds them
// (SqlitePortalCodeStore on SQLite, PgPortalCodeStore on PostgreSQL), with the same answers on
// both. PortalLinks (apps/portal.h) makes and trades codes over it; a store only sees a code's
// SHA-256. Redeeming is one conditional write that marks the code used, so of two requests with
// one code (on one node or two) exactly one gets a session. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "apps/app_token_repository.h"
#include "common/result.h"

namespace hookd {

// One new row of portal_codes.
struct PortalCodeRecord {
  std::string code_hash;  // hex SHA-256 of the code
  std::string app_id;
  bool read_only = false;
  int64_t created_at = 0;  // unix ms
  int64_t expires_at = 0;  // unix ms
};

// What a redeemed code opened: its application and the session token's terms.
struct PortalSession {
  std::string app_id;
  std::string app_uid;
  std::string app_name;
  bool read_only = false;
  int64_t expires_at = 0;  // unix ms, the code's
};

class PortalCodeRepository {
 public:
  virtual ~PortalCodeRepository() = default;

  // Deletes the codes expired at c.created_at (best effort), then stores `c` if its application
  // is live: kNotFound otherwise.
  virtual Status Insert(const PortalCodeRecord& c) = 0;
  // In one transaction: marks the code used at `now` if it is unused and unexpired, and inserts
  // `token` (an app_tokens row of kind "portal" whose app_id, expires_at and read_only are taken
  // from the code) if the code's application is live. Nothing when the code is unknown, used,
  // expired or of a deleted application; nothing changes then.
  virtual Result<std::optional<PortalSession>> Redeem(const std::string& code_hash, int64_t now,
                                                      AppTokenRecord token) = 0;
};

}  // namespace hookd
