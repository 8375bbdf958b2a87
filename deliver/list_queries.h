// The SQL of the message and delivery lists (GET /api/v1/messages, GET /api/v1/deliveries): one
// statement per combination of the filters present, each answered from an index rather than a
// walk of the whole table ("?1 IS NULL OR column = ?1" would hide the filters from the planner).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace hookd {

struct MessageFilter {
  std::optional<std::string> event_type, event_id;
  std::optional<std::string> app_id;  // one application's only
};

struct DeliveryFilter {
  std::optional<std::string> status, endpoint_id, message_id;
  std::optional<std::string> app_id;  // one application's only
};

// A statement newest first, ending in "LIMIT ?": bind `params` as 1..n, then the limit as n+1.
struct ListQuery {
  std::string sql;
  std::vector<std::string> params;
};

// `columns` of messages matching every filter present, older than the message `after` (none when
// `after` names no message).
ListQuery MessagesQuery(const std::string& columns, const MessageFilter& filter,
                        const std::optional<std::string>& after);

// 422 invalid_field when the filter's status is not pending, retrying, succeeded or failed.
Status CheckDeliveryStatus(const DeliveryFilter& filter);

// The same for deliveries (`d`, each joined to its endpoint `e`, so `columns` name their table:
// "d.id, e.circuit"); 422 invalid_field for a status other than pending, retrying,
// succeeded or failed.
Result<ListQuery> DeliveriesQuery(const std::string& columns, const DeliveryFilter& filter,
                                  const std::optional<std::string>& after);

}  // namespace hookd
