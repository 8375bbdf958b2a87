// EndpointDisabled: the refusal of a manual retry or recover against a disabled endpoint (409
// endpoint_disabled). Its deliveries would fail at once without an attempt, so nothing is
// queued; the message says how to enable it.
#pragma once

#include <string>

#include "common/status.h"

namespace hookd {

inline Status EndpointDisabled(const std::string& endpoint_id) {
  return Status::Conflict("endpoint_disabled",
                          "endpoint " + endpoint_id +
                              " is disabled; enable it first (POST /api/v1/endpoints/" +
                              endpoint_id + "/enable), then retry or recover");
}

}  // namespace hookd
