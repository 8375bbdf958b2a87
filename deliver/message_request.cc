#include "deliver/message_request.h"

#include <cctype>

#include "common/api_helpers.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_limits.h"

namespace hookd {
namespace {

bool ValidEventType(const std::string& t) {
  if (t.empty() || t.size() > 200) return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
        c != ':')
      return false;
  return true;
}

// What identifies a request made with an Idempotency-Key: event_type and source_id (neither can
// hold a newline; a present source_id is never empty) then the payload bytes as stored, which
// are canonical (keys sorted, no spaces), so a payload sent with its keys in another order is
// the same request.
std::string RequestHash(const NewMessage& m) {
  return HexEncode(Sha256(m.event_type + '\n' + m.source_id.value_or("") + '\n' + m.payload));
}

}  // namespace

Result<NewMessage> PrepareMessage(const nlohmann::json& req, const std::optional<std::string>& key,
                                  const std::string& app_id, const Clock& clock, Random& random) {
  if (Status s = RejectUnknownFields(req, {"event_type", "payload", "source_id"}); !s.ok())
    return s;
  auto type = hookd::OptionalString(req, "event_type");
  if (!type.ok()) return type.status();
  if (!*type || !ValidEventType(**type))
    return Status::InvalidField("event_type is required: 1-200 chars of [A-Za-z0-9._:-]");
  if (!req.contains("payload")) return Status::InvalidField("payload is required");
  auto source = hookd::OptionalString(req, "source_id");
  if (!source.ok()) return source.status();
  if (*source && !LooksLikeId("src", **source))
    return Status::InvalidField("source_id is not a source id");
  if (key && (key->empty() || key->size() > 255))
    return Status::InvalidField("Idempotency-Key must be 1 to 255 characters");
  NewMessage m;
  m.id = NewId("msg", clock, random);
  m.app_id = app_id;
  m.event_type = **type;
  m.source_id = *source;
  m.payload = DumpJson(req.at("payload"));
  m.idempotency_key = key;
  if (key) m.request_hash = RequestHash(m);
  return m;
}

nlohmann::json PublishAnswer(const NewMessage& m, const EndpointSnapshot& endpoints) {
  int matched = 0;
  for (size_t i : endpoints.OfApp(m.app_id)) {
    const Endpoint& e = endpoints[i];
    if (!e.disabled && Matches(e.filter, m.event_type, m.source_id)) ++matched;
  }
  return {{"id", m.id}, {"event_type", m.event_type}, {"deliveries", matched}};
}

RepeatedKey ClassifyRepeat(const PriorMessage& prior, const NewMessage& m, int64_t now) {
  const bool live = now - prior.created_at < kIdempotencyWindowMs;
  if (!live) return RepeatedKey::kExpired;
  // No hash: a message stored before requests were recorded; any request gets its answer.
  if (prior.request_hash && prior.request_hash != m.request_hash) return RepeatedKey::kReused;
  return RepeatedKey::kAnswer;
}

Status IdempotencyKeyReused() {
  return Status(ErrorKind::kInvalidField, "idempotency_key_reused",
                "this Idempotency-Key was used with another request (event_type, "
                "payload or source_id) in the last 24 hours; use a new key");
}

}  // namespace hookd
