// Settings for a test server that delivers to receivers on 127.0.0.1.
#pragma once

#include <chrono>
#include <utility>
#include <vector>

#include "app/settings.h"

namespace hookd::testing {

// Private targets allowed (the receivers are on loopback), retries after `schedule`, attempts
// cut after `timeout`.
inline Settings LocalDeliverySettings(
    std::vector<std::chrono::milliseconds> schedule = {std::chrono::milliseconds(200)},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  Settings s;
  s.allow_private_targets = true;
  s.retry_schedule = std::move(schedule);
  s.delivery_timeout = timeout;
  return s;
}

}  // namespace hookd::testing
