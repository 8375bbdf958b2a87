// The delivery slice's HTTP routes (API.md, "Endpoints", "Messages and deliveries"), all admin.
// Handlers only turn requests into service calls and results into responses.
#pragma once

#include "common/router.h"
#include "deliver/endpoint_service.h"
#include "deliver/message_service.h"

namespace hookd {

void RegisterEndpointRoutes(Router& router, EndpointService& service);

// The endpoint a create or an update made, with the request's `warnings` (always present in
// these answers, empty when there are none: an answer's shape does not depend on DNS).
HttpResponse EndpointChangedResponse(int status, const Result<Endpoint>& e,
                                     const std::vector<EndpointWarning>& warnings);
void RegisterMessageRoutes(Router& router, MessageService& service);

}  // namespace hookd
