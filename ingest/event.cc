#include "ingest/event.h"

#include "common/time_format.h"

namespace hookd {

nlohmann::json EventJson(const Event& e, bool with_body) {
  nlohmann::json j = {{"id", e.id},
                      {"source_id", e.source_id},
                      {"provider", e.provider},
                      {"type", e.type},
                      {"provider_event_id", e.provider_event_id},
                      {"received_at", FormatRfc3339(e.received_at)}};
  if (with_body) {
    j["headers"] = nlohmann::json::parse(e.headers_json, nullptr, false);
    j["body"] = e.body;
  }
  return j;
}

}  // namespace hookd
