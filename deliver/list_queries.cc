#include "deliver/list_queries.h"

namespace hookd {
namespace {

// Appends " AND <term>" with its parameter.
void Term(ListQuery& q, const char* term, const std::string& value) {
  q.sql += " AND ";
  q.sql += term;
  q.params.push_back(value);
}

// `alias` is the listed table's name or alias in the statement ("messages", "d").
void Finish(ListQuery& q, const std::string& alias, const char* table,
            const std::optional<std::string>& after) {
  if (after) {
    q.sql += " AND " + alias + ".seq < (SELECT seq FROM " + table + " WHERE id = ?)";
    q.params.push_back(*after);
  }
  q.sql += " ORDER BY " + alias + ".seq DESC LIMIT ?";
}

}  // namespace

ListQuery MessagesQuery(const std::string& columns, const MessageFilter& f,
                        const std::optional<std::string>& after) {
  // event_id: messages_event (one message, or a few); event_type: messages_type, in seq order.
  ListQuery q{"SELECT " + columns + " FROM messages WHERE 1", {}};
  if (f.event_id) Term(q, "event_id = ?", *f.event_id);
  if (f.event_type) Term(q, "event_type = ?", *f.event_type);
  // With no other filter, messages_app (app_id, seq) gives the application's in seq order.
  if (f.app_id) Term(q, "app_id = ?", *f.app_id);
  Finish(q, "messages", "messages", after);
  return q;
}

Status CheckDeliveryStatus(const DeliveryFilter& f) {
  if (f.status && *f.status != "failed" && *f.status != "pending" && *f.status != "retrying" &&
      *f.status != "succeeded")
    return Status::InvalidField("status must be pending, retrying, succeeded or failed");
  return Status::Ok();
}

Result<ListQuery> DeliveriesQuery(const std::string& columns, const DeliveryFilter& f,
                                  const std::optional<std::string>& after) {
  // The status is written into the statement (it is one of four words) so that the partial
  // indexes apply: failed ones are found in deliveries_failed, waiting ones (pending, retrying:
  // next_attempt_at is set until a delivery is final) in deliveries_due, sorted, which holds
  // only the waiting set; succeeded ones are most of the table and come soonest in seq order.
  // A message's deliveries are a handful: deliveries_message wins whatever else is asked.
  if (Status s = CheckDeliveryStatus(f); !s.ok()) return s;
  std::string status_term, index;
  if (f.status) {
    const std::string& s = *f.status;
    if (s == "failed") {
      // One application's: its own partial index (every application's failed ones otherwise).
      index = f.app_id ? "deliveries_app_failed" : "deliveries_failed";
    } else if (s == "pending" || s == "retrying") {
      index = "deliveries_due";
      status_term = " AND d.next_attempt_at IS NOT NULL";
    }
    status_term = " AND d.status = '" + s + "'" + status_term;
  }
  if (f.message_id) index = "deliveries_message";
  // Each delivery with its endpoint (`e`), whose circuit the API shows as the delivery's wait.
  ListQuery q{"SELECT " + columns + " FROM deliveries d" +
                  (index.empty() ? "" : " INDEXED BY " + index) +
                  " LEFT JOIN endpoints e ON e.id = d.endpoint_id WHERE 1" + status_term,
              {}};
  if (f.message_id) Term(q, "d.message_id = ?", *f.message_id);
  if (f.endpoint_id) Term(q, "d.endpoint_id = ?", *f.endpoint_id);
  if (f.app_id) Term(q, "d.app_id = ?", *f.app_id);
  Finish(q, "d", "deliveries", after);
  return q;
}

}  // namespace hookd
