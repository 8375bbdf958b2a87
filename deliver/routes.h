// The delivery slice's HTTP routes (API.md, "Endpoints", "Messages and deliveries",
// "Applications (tenants)"), all admin. Each set is registered twice: under /api/v1 for every
// application, and under /api/v1/apps/:app for one (its AppScope). Handlers only turn requests
// into service calls and results into responses.
#pragma once

#include <string>
#include <vector>

#include "common/router.h"
#include "deliver/app_scope.h"
#include "deliver/endpoint_service.h"
#include "deliver/message_service.h"

namespace hookd {

void RegisterEndpointRoutes(Router& router, EndpointService& service,
                            const std::string& prefix = "/api/v1", const AppScope& scope = {});
void RegisterMessageRoutes(Router& router, MessageService& service,
                           const std::string& prefix = "/api/v1", const AppScope& scope = {});

// The endpoint a create or an update made, with the request's `warnings` (always present in
// these answers, empty when there are none: an answer's shape does not depend on DNS).
HttpResponse EndpointChangedResponse(int status, const Result<Endpoint>& e,
                                     const std::vector<EndpointWarning>& warnings);

}  // namespace hookd
