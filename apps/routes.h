// The applications routes (API.md, "Applications (tenants)"), admin only. Handlers only turn
// requests into store calls and results into responses.
#pragma once

#include <string>

#include "apps/application_repository.h"
#include "apps/portal.h"
#include "common/router.h"

namespace hookd {

void RegisterApplicationRoutes(Router& router, ApplicationRepository& store);

// POST /api/v1/apps/{app}/portal (admin): a one-time portal link under `public_url` (or, when
// that is empty, http:// and the request's Host). POST /api/v1/portal/session (public): trades
// the link's code for the portal session's token.
void RegisterPortalRoutes(Router& router, ApplicationRepository& store, PortalLinks& portal,
                          const std::string& public_url);

}  // namespace hookd
