// The delivery slice's HTTP routes (API.md, "Endpoints", "Messages and deliveries"), all admin.
// Handlers only turn requests into service calls and results into responses.
#pragma once

#include "common/router.h"
#include "deliver/endpoint_service.h"
#include "deliver/message_service.h"

namespace hookd {

void RegisterEndpointRoutes(Router& router, EndpointService& service);
void RegisterMessageRoutes(Router& router, MessageService& service);

}  // namespace hookd
