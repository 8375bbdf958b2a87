// Portal links (API.md, "Applications (tenants)"): a one-time link that opens a browser session
// limited to one application, for a SaaS to hand to its customer.
//
// CreateLink makes a code of 256 random bits, stores only its SHA-256 with the application, the
// expiry and read_only, and answers the URL "<base>/portal/#<code>": the code sits in the
// fragment, so it never reaches a server log or a Referer. Exchange trades a live, unused code
// once (the update that marks it used decides, so two tabs racing get one session) for a
// session: an application token of kind "portal" that expires with the link, read-only when the
// link said so. The portal page holds it in the tab's sessionStorage and sends it as a bearer
// token, which works inside another site's iframe where third-party cookies are blocked.
// The rows live behind a PortalCodeRepository (SQLite or PostgreSQL). Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/portal_code_repository.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/random.h"
#include "common/result.h"

namespace hookd {

inline constexpr int64_t kPortalDefaultExpiresIn = 3600;       // seconds
inline constexpr int64_t kPortalMaxExpiresIn = 7 * 24 * 3600;  // seconds

class PortalLinks {
 public:
  // Over SQLite: a SqlitePortalCodeStore of its own on `pool`.
  PortalLinks(DbPool& pool, const Clock& clock, Random& random);
  PortalLinks(PortalCodeRepository& store, const Clock& clock, Random& random)
      : store_(store), clock_(clock), random_(random) {}

  // {"expires_in"? (seconds, 1 to 604800, default 3600), "read_only"? (false)} →
  // {"url": "<base>/portal/#<code>", "expires_at", "read_only"}. 404 for an application deleted
  // meanwhile; 422 for a bad body. Expired codes are deleted on the way.
  Result<nlohmann::json> CreateLink(const std::string& app_id, const nlohmann::json& req,
                                    const std::string& base);
  // {"code"} → {"token": "hkd_app_…", "app": {"id", "uid", "name"}, "read_only", "expires_at"}.
  // 401 invalid_code for a code that is unknown, used, expired or of a deleted application; 422
  // for a bad body.
  Result<nlohmann::json> Exchange(const nlohmann::json& req);

 private:
  std::unique_ptr<PortalCodeRepository> owned_;
  PortalCodeRepository& store_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace hookd
