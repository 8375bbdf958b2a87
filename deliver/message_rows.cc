#include "deliver/message_rows.h"

#include "common/json_limits.h"
#include "common/time_format.h"
#include "deliver/delivery_wait.h"

namespace hookd {
namespace {

template <typename T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json DeliveryJson(const DeliveryRow& d, int64_t now) {
  DeliveryWaitInput in;
  in.status = d.status;
  in.next_attempt_at = d.next_attempt_at;
  in.lease_until = d.lease_until;
  in.manual = d.manual;
  if (d.circuit) in.circuit = *d.circuit;
  in.circuit_retry_at = d.circuit_retry_at;
  const DeliveryWait wait = ShowWait(in, now);
  return {{"id", d.id},
          {"message_id", d.message_id},
          {"endpoint_id", d.endpoint_id},
          {"status", in.status},
          {"attempts", d.attempts},
          {"next_attempt_at", wait.next_attempt_at
                                  ? nlohmann::json(FormatRfc3339(*wait.next_attempt_at))
                                  : nlohmann::json(nullptr)},
          {"in_flight", wait.in_flight},
          {"waiting", wait.waiting ? nlohmann::json(wait.waiting) : nlohmann::json(nullptr)},
          {"manual_retry", in.manual},
          {"last_response_status", OrNull(d.last_status)},
          {"last_error", OrNull(d.last_error)},
          {"created_at", FormatRfc3339(d.created_at)},
          {"updated_at", FormatRfc3339(d.updated_at)}};
}

nlohmann::json MessageSummaryJson(const MessageRow& m) {
  return {{"id", m.id},
          {"event_type", m.event_type},
          {"source_id", OrNull(m.source_id)},
          {"event_id", OrNull(m.event_id)},
          {"created_at", FormatRfc3339(m.created_at)}};
}

nlohmann::json MessageJson(const MessageRow& m, const std::string& app_id,
                           const std::string& payload) {
  nlohmann::json j = MessageSummaryJson(m);
  j["app_id"] = app_id;
  // Payloads are checked where they enter; one stored before that (or an event body deeper than
  // the limit) is shown as its text rather than parsed.
  auto parsed = ParseJsonBounded(payload);
  j["payload"] = parsed.ok() ? std::move(parsed).value() : nlohmann::json(payload);
  return j;
}

nlohmann::json AttemptJson(const AttemptRow& a) {
  return {{"id", a.id},
          {"number", a.number},
          {"started_at", FormatRfc3339(a.started_at)},
          {"duration_ms", a.duration_ms},
          {"response_status", OrNull(a.response_status)},
          {"response_body", OrNull(a.response_body)},
          {"error", OrNull(a.error)}};
}

}  // namespace hookd
