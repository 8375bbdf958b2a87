// Routes under /api/v1/apps/{app}/ (API.md, "Applications (tenants)"): the application's own
// endpoints and messages. `{app}` is an id or a uid; an unknown or deleted application, and an
// id that belongs to another application, answer 404 exactly as an unknown id does.
#pragma once

#include "apps/app_tokens.h"
#include "apps/application_repository.h"
#include "common/router.h"
#include "deliver/app_scope.h"
#include "deliver/endpoint_service.h"
#include "deliver/message_service.h"

namespace hookd {

// The scope of a route under /api/v1/apps/:app: the application `{app}` names (404 for an unknown
// or deleted one); with an application token, 403 forbidden unless it is the token's.
AppScope ScopeOf(ApplicationRepository& apps);

// Admin routes or an application token of that application (403 forbidden for another one).
void RegisterScopedRoutes(Router& router, ApplicationRepository& apps, EndpointService& endpoints,
                          MessageService& messages);
// POST/GET /api/v1/apps/{app}/tokens, DELETE /api/v1/apps/{app}/tokens/{id}: admin only.
void RegisterTokenRoutes(Router& router, ApplicationRepository& apps, AppTokens& tokens);

}  // namespace hookd
