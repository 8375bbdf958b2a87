#include "deliver/attempt_entries.h"

#include "common/default_app.h"
#include "common/json_text.h"
#include "common/time_format.h"

namespace hookd {

const char* DeliveryStatusName(RetryDecision::Kind kind) {
  switch (kind) {
    case RetryDecision::Kind::kSucceeded:
      return "succeeded";
    case RetryDecision::Kind::kRetry:
      return "retrying";
    default:
      return "failed";
  }
}

std::string_view AttemptAppId(const AttemptRecord& r) {
  return r.app_id.empty() ? std::string_view(kDefaultAppId) : std::string_view(r.app_id);
}

std::string AttemptedEntryData(const AttemptRecord& r) {
  const SendResult& res = r.result;
  JsonObjectText data;
  data.Str("app_id", AttemptAppId(r))
      .Int("attempt", r.attempts_before + 1)
      .Str("delivery_id", r.delivery_id)
      .Str("endpoint_id", r.endpoint_id);
  if (!res.error.empty()) data.Str("error", res.error);
  data.Int("latency_ms", res.duration_ms).Str("message_id", r.message_id);
  if (res.status)
    data.Int("response_status", res.status);
  else
    data.Null("response_status");
  return data.Text();
}

DeliveryWait ScheduledWait(const std::string& status, int64_t next_attempt_at,
                           const std::string& circuit, std::optional<int64_t> circuit_retry_at,
                           int64_t now) {
  DeliveryWaitInput in;
  in.status = status;
  in.next_attempt_at = next_attempt_at;
  in.circuit = circuit;
  in.circuit_retry_at = circuit_retry_at;
  return ShowWait(in, now);
}

std::string DeliveryStateEntryData(const AttemptRecord& r, std::string_view status,
                                   const DeliveryWait& wait) {
  const SendResult& res = r.result;
  JsonObjectText data;
  data.Str("app_id", AttemptAppId(r))
      .Int("attempt", r.attempts_before + (r.attempted ? 1 : 0))
      .Str("delivery_id", r.delivery_id)
      .Str("endpoint_id", r.endpoint_id);
  if (!r.attempted) data.Str("error", res.error);
  data.Str("message_id", r.message_id);
  if (wait.next_attempt_at) data.Str("next_attempt_at", FormatRfc3339(*wait.next_attempt_at));
  if (res.status) data.Int("response_status", res.status);
  data.Str("status", status);
  if (wait.waiting) data.Str("waiting", wait.waiting);
  return data.Text();
}

}  // namespace hookd
