// Event: one provider webhook accepted by ingest, as stored. Value types.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/default_app.h"

namespace hookd {

struct Event {
  int64_t seq = 0;  // assigned by the store
  std::string id;   // evt_...
  std::string source_id;
  std::string provider;
  std::string provider_event_id;
  std::string type;
  std::string headers_json;            // a JSON object of the request's headers
  std::string body;                    // the raw bytes as received
  int64_t received_at = 0;             // unix ms
  std::string app_id = kDefaultAppId;  // its source's, for fan-out (not stored with the event)
};

// The answer to one ingest request: the stored event's id, and whether it was already there.
struct IngestOutcome {
  std::string id;
  bool duplicate = false;
};

// API.md's event object; the raw body is included when `with_body`.
nlohmann::json EventJson(const Event& e, bool with_body);

}  // namespace hookd
