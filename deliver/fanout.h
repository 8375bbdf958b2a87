// Fan-out: a new message and one pending delivery per enabled endpoint that subscribes to it,
// written in the caller's transaction, so a message is never acknowledged without its
// deliveries. Used by ingest (every accepted event) and by POST /api/v1/messages.
// Functions run on the caller's connection; thread-safety is that of the Db.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/default_app.h"
#include "common/random.h"
#include "deliver/endpoint.h"
#include "deliver/endpoint_cache.h"

namespace hookd {

struct NewMessage {
  std::string id;                      // msg_...
  std::string app_id = kDefaultAppId;  // only this application's endpoints get it
  std::string event_type;
  std::optional<std::string> source_id;
  std::optional<std::string> event_id;
  std::string payload;  // the bytes delivered; empty with event_id set: the event's body
  std::optional<std::string> idempotency_key;
  // With a key: what identifies the request that used it (hex SHA-256, see MessageService).
  std::optional<std::string> request_hash;
  std::string response;  // the JSON answered to the creating request (idempotent replays)
  int64_t created_at = 0;
  // A test message: delivered to this endpoint of its application alone, whatever the endpoint
  // subscribes to (when it is enabled).
  std::optional<std::string> only_endpoint_id;
};

// The endpoints that get a delivery of `message`, in the snapshot's order: the enabled endpoints
// of its application that subscribe to it (a test message's one endpoint, when enabled).
std::vector<const Endpoint*> DeliveryTargets(const NewMessage& message,
                                             const EndpointSnapshot& endpoints);

// The data of the message's `message.created` status entry, with the deliveries made.
nlohmann::json MessageCreatedData(const NewMessage& message, int deliveries);

// Inserts the message, its deliveries (due now) to the enabled endpoints of its application
// that subscribe to it, and `message.created`, and counts its type as seen in its application
// (event_types); returns how many deliveries were made.
Result<int> InsertMessage(Db& db, const NewMessage& message, const EndpointSnapshot& endpoints,
                          const Clock& clock, Random& random);

}  // namespace hookd
