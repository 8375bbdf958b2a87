// The rows of messages, deliveries and attempts as the API shows them (API.md, "Messages and
// deliveries"): each engine reads its rows into these structs and both make the JSON here, so
// SQLite's and PostgreSQL's answers are the same bytes. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hookd {

// A delivery with what its wait is computed from: its lease, its manual retry and its
// endpoint's circuit (no circuit when the endpoint is gone).
struct DeliveryRow {
  std::string id, message_id, endpoint_id, status;
  int64_t attempts = 0;
  std::optional<int64_t> next_attempt_at, last_status;
  std::optional<std::string> last_error;
  int64_t created_at = 0, updated_at = 0;
  std::optional<int64_t> lease_until;
  bool manual = false;  // manual_return_status is set
  std::optional<std::string> circuit;
  std::optional<int64_t> circuit_retry_at;
};

// A message as the lists show it.
struct MessageRow {
  std::string id, event_type;
  std::optional<std::string> source_id, event_id;
  int64_t created_at = 0;
};

struct AttemptRow {
  std::string id;
  int64_t number = 0, started_at = 0, duration_ms = 0;
  std::optional<int64_t> response_status;
  std::optional<std::string> response_body, error;
};

// The delivery at `now`: its wait is computed from the row and its endpoint's circuit
// (deliver/delivery_wait.h).
nlohmann::json DeliveryJson(const DeliveryRow& d, int64_t now);
// {"id", "event_type", "source_id", "event_id", "created_at"}.
nlohmann::json MessageSummaryJson(const MessageRow& m);
// The summary with the message's application and payload (`payload` as stored: parsed when it
// is JSON within the limits, else shown as its text); the caller adds "deliveries".
nlohmann::json MessageJson(const MessageRow& m, const std::string& app_id,
                           const std::string& payload);
nlohmann::json AttemptJson(const AttemptRow& a);

}  // namespace hookd
