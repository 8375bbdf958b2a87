#include "storage/pg/pg_message_reads.h"

#include <string_view>

#include "common/api_helpers.h"
#include "deliver/message_rows.h"
#include "storage/pg/pg_rows.h"

namespace hookd {
namespace {

// As SQLite's MessageService reads a delivery: the row with its endpoint's circuit.
constexpr std::string_view kDeliverySelect =
    "SELECT d.id, d.message_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at,"
    " d.last_status, d.last_error, d.created_at, d.updated_at, d.lease_until,"
    " d.manual_return_status, e.circuit, e.circuit_retry_at";
constexpr std::string_view kDeliveryFrom =
    " FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id";

// Reads one row's columns, keeping the first error (a value that is not of its type).
class RowReader {
 public:
  RowReader(const PgResult& r, int row) : r_(r), row_(row) {}
  std::string Text(int col) const { return std::string(r_.Text(row_, col)); }
  std::optional<std::string> OptText(int col) const {
    if (r_.IsNull(row_, col)) return std::nullopt;
    return Text(col);
  }
  int64_t Int(int col) {
    auto v = r_.Int(row_, col);
    if (!v.ok()) {
      Keep(v.status());
      return 0;
    }
    return *v;
  }
  std::optional<int64_t> OptInt(int col) {
    std::optional<int64_t> v;
    Keep(ReadOptionalInt(r_, row_, col, v));
    return v;
  }
  const Status& status() const { return status_; }

 private:
  void Keep(const Status& s) {
    if (status_.ok() && !s.ok()) status_ = s;
  }
  const PgResult& r_;
  int row_;
  Status status_;
};

Result<DeliveryRow> ReadDelivery(const PgResult& r, int row) {
  RowReader in(r, row);
  DeliveryRow d;
  d.id = in.Text(0);
  d.message_id = in.Text(1);
  d.endpoint_id = in.Text(2);
  d.status = in.Text(3);
  d.attempts = in.Int(4);
  d.next_attempt_at = in.OptInt(5);
  d.last_status = in.OptInt(6);
  d.last_error = in.OptText(7);
  d.created_at = in.Int(8);
  d.updated_at = in.Int(9);
  d.lease_until = in.OptInt(10);
  d.manual = !r.IsNull(row, 11);
  d.circuit = in.OptText(12);
  d.circuit_retry_at = in.OptInt(13);
  if (!in.status().ok()) return in.status();
  return d;
}

Result<MessageRow> ReadMessage(const PgResult& r, int row) {
  RowReader in(r, row);
  MessageRow m;
  m.id = in.Text(0);
  m.event_type = in.Text(1);
  m.source_id = in.OptText(2);
  m.event_id = in.OptText(3);
  m.created_at = in.Int(4);
  if (!in.status().ok()) return in.status();
  return m;
}

// A page of a statement that asked for `limit` + 1 rows: {"data", "next"} as ListJson makes it.
template <typename Row>
Result<nlohmann::json> Page(const PgResult& r, int limit, Row row) {
  nlohmann::json items = nlohmann::json::array();
  for (int i = 0; i < r.rows() && i < limit; ++i) {
    auto j = row(i);
    if (!j.ok()) return j.status();
    items.push_back(std::move(j).value());
  }
  return ListJson(std::move(items), r.rows() > limit);
}

}  // namespace

Result<nlohmann::json> PgMessageReads::Get(const std::string& id,
                                           const std::optional<std::string>& app_id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT m.id, m.event_type, m.source_id, m.event_id, m.created_at,"
      " COALESCE(m.payload, e.body), m.app_id FROM messages m"
      " LEFT JOIN events e ON e.id = m.event_id"
      " WHERE m.id = $1 AND ($2::text IS NULL OR m.app_id = $2)",
      {id, OptionalText(app_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return PgNotFound("no message ", id);
  auto m = ReadMessage(*r, 0);
  if (!m.ok()) return m.status();
  std::string payload;  // NULL (no payload, its event gone) reads as "" as on SQLite
  if (!r->IsNull(0, 5)) {
    auto bytes = r->Bytes(0, 5);
    if (!bytes.ok()) return bytes.status();
    payload = std::move(bytes).value();
  }
  nlohmann::json j = MessageJson(*m, std::string(r->Text(0, 6)), payload);
  std::string sql(kDeliverySelect);
  sql += kDeliveryFrom;
  sql += " WHERE d.message_id = $1 ORDER BY d.seq LIMIT 1000";
  auto dl = (*conn)->Exec(sql, {id});
  if (!dl.ok()) return dl.status();
  const int64_t now = clock_.NowUnixMillis();
  nlohmann::json deliveries = nlohmann::json::array();
  for (int row = 0; row < dl->rows(); ++row) {
    auto d = ReadDelivery(*dl, row);
    if (!d.ok()) return d.status();
    deliveries.push_back(DeliveryJson(*d, now));
  }
  j["deliveries"] = std::move(deliveries);
  return j;
}

Result<nlohmann::json> PgMessageReads::List(const MessageFilter& f,
                                            const std::optional<std::string>& after, int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // Each statement is planned with its parameters' values (PQexecParams' unnamed statements), so
  // an absent filter's "IS NULL OR" folds away and the indexes of SQLite's queries serve.
  auto r = (*conn)->Exec(
      "SELECT id, event_type, source_id, event_id, created_at FROM messages"
      " WHERE ($1::text IS NULL OR event_id = $1) AND ($2::text IS NULL OR event_type = $2)"
      " AND ($3::text IS NULL OR app_id = $3)"
      " AND ($4::text IS NULL OR seq < (SELECT seq FROM messages WHERE id = $4))"
      " ORDER BY seq DESC LIMIT $5",
      {OptionalText(f.event_id), OptionalText(f.event_type), OptionalText(f.app_id),
       OptionalText(after), static_cast<int64_t>(limit) + 1});
  if (!r.ok()) return r.status();
  return Page(*r, limit, [&](int row) -> Result<nlohmann::json> {
    auto m = ReadMessage(*r, row);
    if (!m.ok()) return m.status();
    return MessageSummaryJson(*m);
  });
}

Result<nlohmann::json> PgMessageReads::ListDeliveries(const DeliveryFilter& f,
                                                      const std::optional<std::string>& after,
                                                      int limit) {
  if (Status s = CheckDeliveryStatus(f); !s.ok()) return s;
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // As SQLite's query: a waiting status (pending, retrying) also asks for next_attempt_at, which
  // is set until a delivery is final. Each delivery names its message's event type.
  std::string sql(kDeliverySelect);
  sql += ", m.event_type";
  sql += kDeliveryFrom;
  sql +=
      " LEFT JOIN messages m ON m.id = d.message_id"
      " WHERE ($1::text IS NULL OR (d.status = $1 AND ($1 NOT IN ('pending', 'retrying')"
      " OR d.next_attempt_at IS NOT NULL)))"
      " AND ($2::text IS NULL OR d.message_id = $2) AND ($3::text IS NULL OR d.endpoint_id = $3)"
      " AND ($4::text IS NULL OR d.app_id = $4)"
      " AND ($5::text IS NULL OR d.seq < (SELECT seq FROM deliveries WHERE id = $5))"
      " ORDER BY d.seq DESC LIMIT $6";
  auto r = (*conn)->Exec(
      sql, {OptionalText(f.status), OptionalText(f.message_id), OptionalText(f.endpoint_id),
            OptionalText(f.app_id), OptionalText(after), static_cast<int64_t>(limit) + 1});
  if (!r.ok()) return r.status();
  const int64_t now = clock_.NowUnixMillis();
  return Page(*r, limit, [&](int row) -> Result<nlohmann::json> {
    auto d = ReadDelivery(*r, row);
    if (!d.ok()) return d.status();
    nlohmann::json j = DeliveryJson(*d, now);
    j["event_type"] = r->IsNull(row, 14) ? nlohmann::json(nullptr)
                                         : nlohmann::json(std::string(r->Text(row, 14)));
    return j;
  });
}

Result<nlohmann::json> PgMessageReads::GetDelivery(const std::string& id,
                                                   const std::optional<std::string>& app_id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  std::string sql(kDeliverySelect);
  sql += kDeliveryFrom;
  sql += " WHERE d.id = $1 AND ($2::text IS NULL OR d.app_id = $2)";
  auto r = (*conn)->Exec(sql, {id, OptionalText(app_id)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return PgNotFound("no delivery ", id);
  auto d = ReadDelivery(*r, 0);
  if (!d.ok()) return d.status();
  nlohmann::json j = DeliveryJson(*d, clock_.NowUnixMillis());
  auto at = (*conn)->Exec(
      "SELECT id, number, started_at, duration_ms, response_status, response_body, error"
      " FROM attempts WHERE delivery_id = $1 ORDER BY number",
      {id});
  if (!at.ok()) return at.status();
  nlohmann::json attempts = nlohmann::json::array();
  for (int row = 0; row < at->rows(); ++row) {
    RowReader in(*at, row);
    AttemptRow a;
    a.id = in.Text(0);
    a.number = in.Int(1);
    a.started_at = in.Int(2);
    a.duration_ms = in.Int(3);
    a.response_status = in.OptInt(4);
    a.response_body = in.OptText(5);
    a.error = in.OptText(6);
    if (!in.status().ok()) return in.status();
    attempts.push_back(AttemptJson(a));
  }
  j["attempts"] = std::move(attempts);
  return j;
}

}  // namespace hookd
