#include "deliver/endpoint.h"

#include "common/time_format.h"

namespace hookd {

std::vector<std::string> Endpoint::LiveSecrets(int64_t now_ms) const {
  std::vector<std::string> out{secret};
  AppendLiveSecrets(previous_secrets, now_ms, out);
  return out;
}

nlohmann::json EndpointJson(const Endpoint& e) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : e.headers) headers[k] = v;
  nlohmann::json j = {{"id", e.id},
                      {"app_id", e.app_id},
                      {"url", e.url},
                      {"kind", e.kind},
                      {"description", e.description},
                      {"event_types", e.filter.event_types},
                      {"source_ids", e.filter.source_ids},
                      {"headers", headers},
                      {"forward_headers", e.forward_headers},
                      {"secret", e.secret},
                      {"rate_limit_per_second", nullptr},
                      {"disabled", e.disabled},
                      {"circuit", e.circuit},
                      {"circuit_retry_at", nullptr},
                      {"created_at", FormatRfc3339(e.created_at)},
                      {"updated_at", FormatRfc3339(e.updated_at)}};
  if (e.rate_limit_per_second) j["rate_limit_per_second"] = *e.rate_limit_per_second;
  if (e.circuit == "open" && e.circuit_retry_at)
    j["circuit_retry_at"] = FormatRfc3339(*e.circuit_retry_at);
  if (e.disabled) j["disabled_reason"] = e.disabled_reason;
  if (e.failing_since) j["failing_since"] = FormatRfc3339(*e.failing_since);
  if (const int64_t last = LastGraceEnd(e.previous_secrets); last > 0)
    j["previous_secret_expires_at"] = FormatRfc3339(last);
  return j;
}

}  // namespace hookd
