// PgQueueDb: a migrated PostgreSQL database for the delivery queue's tests (PgDeliveryQueue,
// PgEndpointOwners, PgNodeRegistry), with the rows they need written as plain SQL and the tables
// read back as text, one string per row. Each NewPool() is another node's. For tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/pg/pg_node_registry.h"
#include "storage/pg/pg_pool.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {

// The parts one after the other (built with +=: GCC 12 warns wrongly on "literal" + string).
inline std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out += p;
  return out;
}

// A node's row with only its id.
inline PgNodeInfo NodeInfo(const std::string& id) {
  PgNodeInfo info;
  info.id = id;
  return info;
}

class PgQueueDb {
 public:
  Status SetUp() { return engine_.SetUp(); }
  PgPool& pool() { return engine_.pool(); }
  std::unique_ptr<PgPool> NewPool() { return engine_.NewPool(); }

  // Runs `sql` (no parameters; the tests' own literals); fails the test on an error.
  void Exec(const std::string& sql) {
    Status s = engine_.Exec(sql);
    EXPECT_TRUE(s.ok()) << sql << ": " << s.ToString();
  }
  int64_t Count(const std::string& sql) { return std::stoll(engine_.Text(sql)); }
  std::string Text(const std::string& sql) { return engine_.Text(sql); }

  // Every row of `sql`, its columns joined with '|', NULL as "NULL".
  std::vector<std::string> Rows(const std::string& sql) {
    std::vector<std::string> out;
    auto conn = pool().Acquire();
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return out;
    auto r = (*conn)->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    if (!r.ok()) return out;
    for (int row = 0; row < r->rows(); ++row) {
      std::string line;
      for (int col = 0; col < r->columns(); ++col) {
        if (col) line += '|';
        line += r->IsNull(row, col) ? std::string("NULL") : std::string(r->Text(row, col));
      }
      out.push_back(std::move(line));
    }
    return out;
  }

  void AddNode(const std::string& id) {
    std::string sql = "INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ('";
    sql += id;
    sql += "', 0, 0)";
    Exec(sql);
  }
  void AddEndpoint(const std::string& id) {
    std::string sql = "INSERT INTO endpoints (id, url, secret, created_at, updated_at) VALUES ('";
    sql += id;
    sql += "', 'https://receiver.example/hook', 'whsec_x', 0, 0)";
    Exec(sql);
  }
  void AddMessage(const std::string& id) {
    std::string sql = "INSERT INTO messages (id, event_type, payload, created_at) VALUES ('";
    sql += id;
    sql += "', 'a.b', '{}', 0)";
    Exec(sql);
  }
  // A pending delivery of `message` to `endpoint`, due at `due`.
  void AddDelivery(const std::string& id, const std::string& message, const std::string& endpoint,
                   int64_t due) {
    std::string sql =
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at, created_at,"
        " updated_at) VALUES ('";
    sql += id;
    sql += "', '";
    sql += message;
    sql += "', '";
    sql += endpoint;
    sql += "', 'pending', ";
    sql += std::to_string(due);
    sql += ", 0, 0)";
    Exec(sql);
  }

  // The delivery's row as the tests compare it (claimed_by included).
  std::string Delivery(const std::string& id) {
    std::string sql =
        "SELECT status, attempts, retry_index, next_attempt_at, lease_until, claimed_by,"
        " last_status, last_error, updated_at FROM deliveries WHERE id = '";
    sql += id;
    sql += "'";
    auto rows = Rows(sql);
    return rows.empty() ? std::string("none") : rows[0];
  }

 private:
  PgEngine engine_;
};

}  // namespace hookd::testing
