// MessageService: publishing messages through the API (with Idempotency-Key, 24 h) and reading
// messages and deliveries back. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/db.h"
#include "common/random.h"
#include "deliver/endpoint_cache.h"

namespace hookd {

struct DeliveryFilter {
  std::optional<std::string> status, endpoint_id, message_id;
};

class MessageService {
 public:
  // `wake` tells the delivery engine that new deliveries are due; `status_committed` that
  // status-log entries were committed (for the status streams).
  MessageService(DbPool& pool, EndpointCache& endpoints, const Clock& clock, Random& random,
                 std::function<void()> wake, std::function<void()> status_committed = {})
      : pool_(pool),
        endpoints_(endpoints),
        clock_(clock),
        random_(random),
        wake_(std::move(wake)),
        status_committed_(std::move(status_committed)) {}

  // {"event_type", "payload", "source_id"?} → {"id", "event_type", "deliveries"}. The same
  // Idempotency-Key within 24 h returns the first answer and creates nothing.
  Result<nlohmann::json> Create(const nlohmann::json& req,
                                const std::optional<std::string>& idempotency_key);
  // The message with its payload and one entry per delivery; 404 when missing.
  Result<nlohmann::json> Get(const std::string& id);
  // {"data", "next"}, newest first.
  Result<nlohmann::json> List(const std::optional<std::string>& event_type,
                              const std::optional<std::string>& after, int limit);

  Result<nlohmann::json> ListDeliveries(const DeliveryFilter& filter,
                                        const std::optional<std::string>& after, int limit);
  // The delivery with all its attempts; 404 when missing.
  Result<nlohmann::json> GetDelivery(const std::string& id);
  // Queues the delivery for an attempt now, restarting its retry schedule.
  Result<nlohmann::json> RetryDelivery(const std::string& id);

 private:
  DbPool& pool_;
  EndpointCache& endpoints_;
  const Clock& clock_;
  Random& random_;
  std::function<void()> wake_;
  std::function<void()> status_committed_;
};

}  // namespace hookd
