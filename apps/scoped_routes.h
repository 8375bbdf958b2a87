// Routes under /api/v1/apps/{app}/ (API.md, "Applications (tenants)"): the application's own
// endpoints and messages. `{app}` is an id or a uid; an unknown or deleted application, and an
// id that belongs to another application, answer 404 exactly as an unknown id does.
#pragma once

#include "apps/application_store.h"
#include "common/router.h"
#include "deliver/endpoint_service.h"
#include "deliver/message_service.h"

namespace hookd {

void RegisterScopedRoutes(Router& router, ApplicationStore& apps, EndpointService& endpoints,
                          MessageService& messages);

}  // namespace hookd
