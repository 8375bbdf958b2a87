// Rows for the retention and reaper tests on either engine: events, messages, deliveries,
// attempts, status entries and applications written as plain SQL that both SQLite and PostgreSQL
// take, and each table's remaining ids listed in byte order. For tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace hookd::testing {

inline constexpr int64_t kRetentionDay = 24LL * 3600 * 1000;
inline constexpr int64_t kRetentionHour = 3600 * 1000;

// Writes the rows through `engine` (SqliteEngine or PgEngine).
template <typename Engine>
class RetentionRows {
 public:
  explicit RetentionRows(Engine& engine) : engine_(engine) {}

  void Exec(const std::string& sql) {
    Status s = engine_.Exec(sql);
    ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
  }
  // The bytes "{}" as a literal of the engine's blob type.
  static std::string Blob() { return Engine::kPostgres ? "'\\x7b7d'" : "x'7b7d'"; }
  static std::string Quoted(const std::string& s) {
    if (s.empty()) return "NULL";
    std::string out = "'";
    out += s;
    out += "'";
    return out;
  }

  void Event(const std::string& id, int64_t at) {
    std::string sql =
        "INSERT INTO events (id, source_id, provider, provider_event_id, type, headers, body,"
        " received_at) VALUES ('";
    sql += id + "', 'src_1', 'github', '" + id + "', 'push', '{}', " + Blob() + ", ";
    sql += std::to_string(at) + ")";
    Exec(sql);
  }
  // From `event_id`'s body, or with its own payload when there is none.
  void Message(const std::string& id, int64_t at, const std::string& event_id = "",
               const std::string& idempotency_key = "", const std::string& app_id = "app_default") {
    std::string sql =
        "INSERT INTO messages (id, app_id, event_type, event_id, payload, idempotency_key,"
        " response, created_at) VALUES ('";
    sql += id + "', '" + app_id + "', 'push', " + Quoted(event_id) + ", ";
    sql += event_id.empty() ? Blob() : std::string("NULL");
    sql += ", " + Quoted(idempotency_key) + ", '{}', " + std::to_string(at) + ")";
    Exec(sql);
  }
  // next_attempt_at is set for pending and retrying deliveries, as the engine does.
  void Delivery(const std::string& id, const std::string& message_id, const std::string& status,
                int64_t created_at, int64_t updated_at, const std::string& app_id = "app_default") {
    const bool waiting = status == "pending" || status == "retrying";
    std::string sql =
        "INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, next_attempt_at,"
        " created_at, updated_at) VALUES ('";
    sql += id + "', '" + app_id + "', '" + message_id + "', 'ep_1', '" + status + "', ";
    sql += waiting ? std::to_string(updated_at + kRetentionHour) : std::string("NULL");
    sql += ", " + std::to_string(created_at) + ", " + std::to_string(updated_at) + ")";
    Exec(sql);
  }
  void Attempt(const std::string& id, const std::string& delivery_id, int64_t at) {
    std::string sql =
        "INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms) VALUES ('";
    sql += id + "', '" + delivery_id + "', 1, " + std::to_string(at) + ", 5)";
    Exec(sql);
  }
  void LogEntry(int64_t seq, int64_t at) {
    std::string sql = "INSERT INTO status_log (seq, type, at, data) VALUES (";
    sql += std::to_string(seq) + ", 'delivery.attempted', " + std::to_string(at) + ", '{}')";
    Exec(sql);
  }
  // An event with its message, one succeeded delivery and its attempt, all at `at`.
  void Delivered(const std::string& n, int64_t at) {
    Event("evt_" + n, at);
    Message("msg_" + n, at, "evt_" + n);
    Delivery("dlv_" + n, "msg_" + n, "succeeded", at, at);
    Attempt("att_" + n, "dlv_" + n, at);
  }

  // Rows' lines as " a b c".
  static std::string Line(const std::string& rows) {
    std::string out;
    size_t start = 0;
    while (start < rows.size()) {
      const size_t end = rows.find('\n', start);
      out += ' ';
      out += rows.substr(start, end - start);
      start = end + 1;
    }
    return out;
  }

  // Each table's ids (the status log's seqs) in byte order, one line per table:
  // "messages: msg_a msg_b".
  std::string Remaining() {
    const std::string order = Engine::kPostgres ? " COLLATE \"C\"" : "";
    std::string out;
    for (const char* table : {"events", "messages", "deliveries", "attempts"}) {
      std::string sql = "SELECT id FROM ";
      sql += table;
      sql += " ORDER BY id" + order;
      out += table;
      out += ":" + Line(engine_.Rows(sql, 1)) + "\n";
    }
    out += "status_log:" + Line(engine_.Rows("SELECT seq FROM status_log ORDER BY seq", 1)) + "\n";
    return out;
  }

 private:
  Engine& engine_;
};

}  // namespace hookd::testing
