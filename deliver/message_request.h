// A publish request as a message to insert, and what an Idempotency-Key seen before answers:
// the rules both engines' message stores apply (SQLite's MessageService, PostgreSQL's
// PgMessageStore), so they validate, hash and answer alike. Pure; thread-safety is that of the
// Clock and Random passed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "deliver/endpoint_cache.h"
#include "deliver/fanout.h"

namespace hookd {

// How long an Idempotency-Key answers with its first response (retention keeps such a message
// at least this long).
inline constexpr int64_t kIdempotencyWindowMs = 24LL * 3600 * 1000;

// {"event_type", "payload", "source_id"?} of `app_id` as a message to insert (its id drawn from
// `random`), with its key and request hash; 422 when invalid.
Result<NewMessage> PrepareMessage(const nlohmann::json& req, const std::optional<std::string>& key,
                                  const std::string& app_id, const Clock& clock, Random& random);

// The answer stored with a new message: {"id", "event_type", "deliveries"}, the deliveries being
// the enabled endpoints of its application that subscribe to it.
nlohmann::json PublishAnswer(const NewMessage& m, const EndpointSnapshot& endpoints);

// The message already holding a key: its id, stored answer, creation time and request hash
// (none for one stored before requests were recorded).
struct PriorMessage {
  std::string id, response;
  int64_t created_at = 0;
  std::optional<std::string> request_hash;
};

enum class RepeatedKey {
  kAnswer,   // answer the prior message's stored response
  kReused,   // the key came with another request within the window: IdempotencyKeyReused()
  kExpired,  // the window is over: the key is free again (the prior message keeps its history)
};
RepeatedKey ClassifyRepeat(const PriorMessage& prior, const NewMessage& m, int64_t now);

// 422 idempotency_key_reused.
Status IdempotencyKeyReused();

}  // namespace hookd
