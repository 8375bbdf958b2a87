// The one mapping from Status to an HTTP response: {"error": {"code", "message"}} with the
// status code of API.md. Pure, thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "common/http_types.h"
#include "common/status.h"

namespace hookd {

int HttpStatusFor(ErrorKind kind);
HttpResponse ErrorResponse(const Status& status);
HttpResponse JsonResponse(int status, const nlohmann::json& body);

}  // namespace hookd
