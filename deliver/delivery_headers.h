// The headers of one delivery of a message to an endpoint, in the precedence README.md
// ("What a receiver gets") promises: hookd's own first (webhook-id, hookd-event-type,
// hookd-source-id), then the endpoint's custom headers, then the headers it forwards from the
// provider's original request. Neither custom nor forwarded headers can replace hookd's own:
// the engine adds webhook-timestamp and webhook-signature when each attempt starts, and the
// sender sets host, content-type, content-length, user-agent and the default accept.
// Thread-safety: none (DeliveryMessage parses lazily); the delivery engine's dispatcher uses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deliver/endpoint.h"

namespace hookd {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What a delivery needs of its message, read once per message per claim.
struct DeliveryMessage {
  std::string id;                        // msg_...: webhook-id
  std::string event_type;                // hookd-event-type
  std::optional<std::string> source_id;  // hookd-source-id, when the message has one
  std::string body;
  // A message made from an ingested event: its original request's headers, a JSON object with
  // lower-case names as ingest stored it. Empty for a published message.
  std::string event_headers_json;

  // event_headers_json parsed (string values, names lower-case), on first use.
  const HeaderList& EventHeaders() const;

 private:
  mutable std::optional<HeaderList> event_headers_;
};

// A name that belongs to hookd on every delivery (webhook-*, hookd-*, ignoring case): an
// endpoint's custom header or a forwarded one of such a name is not sent.
bool IsHookdHeader(std::string_view name);

// The delivery's headers, without the per-attempt webhook-timestamp and webhook-signature. A
// custom header wins over a forwarded one of the same name (the operator set it for this
// receiver, e.g. its credential); a forwarded value with a control character but HTAB is not sent.
HeaderList DeliveryHeaders(const Endpoint& endpoint, const DeliveryMessage& message);

}  // namespace hookd
