// The applications routes (API.md, "Applications (tenants)"), admin only. Handlers only turn
// requests into store calls and results into responses.
#pragma once

#include "apps/application_store.h"
#include "common/router.h"

namespace hookd {

void RegisterApplicationRoutes(Router& router, ApplicationStore& store);

}  // namespace hookd
