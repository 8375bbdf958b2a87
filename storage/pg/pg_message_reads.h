// Reading messages and deliveries back on PostgreSQL, over a PgPool: MessageService's Get, List,
// ListDeliveries and GetDelivery (deliver/message_service.h) with the same filters, order (newest
// first by seq), cursors and JSON (deliver/message_rows.h), so both engines answer the same bytes
// (docs/DECISIONS.md, "PostgreSQL: messages"). Thread-safe.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "deliver/list_queries.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgMessageReads {
 public:
  PgMessageReads(PgPool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  // The message with its payload and its deliveries (the first 1000); 404 when missing, or of
  // another application than `app_id` when given.
  Result<nlohmann::json> Get(const std::string& id,
                             const std::optional<std::string>& app_id = std::nullopt);
  // {"data", "next"}, newest first, matching every filter given; `after` names the last message
  // of the previous page (an unknown one gives an empty page).
  Result<nlohmann::json> List(const MessageFilter& filter, const std::optional<std::string>& after,
                              int limit);
  // The same for deliveries, each naming its message's event_type; 422 for an unknown status.
  Result<nlohmann::json> ListDeliveries(const DeliveryFilter& filter,
                                        const std::optional<std::string>& after, int limit);
  // The delivery with all its attempts; 404 when missing (or of another application).
  Result<nlohmann::json> GetDelivery(const std::string& id,
                                     const std::optional<std::string>& app_id = std::nullopt);

 private:
  PgPool& pool_;
  const Clock& clock_;
};

}  // namespace hookd
