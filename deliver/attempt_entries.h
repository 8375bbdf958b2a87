// What recording an attempt's result writes beside the rows, the same on both engines
// (AttemptRecorder on SQLite, PgDeliveryQueue on PostgreSQL): the delivery's status name for a
// retry decision, and the data of the two status-log entries (`delivery.attempted`, then
// `delivery.<status>`), written directly as JSON text with keys in nlohmann's sorted order, so
// both engines' streams serve the same bytes. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "deliver/attempt_recorder.h"
#include "deliver/delivery_wait.h"
#include "deliver/retry_policy.h"

namespace hookd {

// "succeeded", "retrying" or "failed".
const char* DeliveryStatusName(RetryDecision::Kind kind);

// The delivery's application; a record made without one (before applications) is the default's.
std::string_view AttemptAppId(const AttemptRecord& r);

// `delivery.attempted`'s data for an attempt that was made.
std::string AttemptedEntryData(const AttemptRecord& r);

// What a delivery scheduled for `next_attempt_at` waits for now, as the API shows it: its
// endpoint's circuit (`circuit`, with the end of an open one's cool-down) may hold it.
DeliveryWait ScheduledWait(const std::string& status, int64_t next_attempt_at,
                           const std::string& circuit, std::optional<int64_t> circuit_retry_at,
                           int64_t now);

// `delivery.<status>`'s data: the delivery's new status, and what it waits for now as the API
// shows it (`wait`, empty when nothing is scheduled).
std::string DeliveryStateEntryData(const AttemptRecord& r, std::string_view status,
                                   const DeliveryWait& wait);

}  // namespace hookd
