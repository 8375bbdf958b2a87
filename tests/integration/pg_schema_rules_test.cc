// What PostgreSQL's schema (migrations/postgres/0002_schema.sql) enforces for several nodes:
// duplicates refused by the unique constraints (ON CONFLICT DO NOTHING RETURNING gives no row),
// claims in open transactions disjoint (FOR UPDATE SKIP LOCKED over deliveries_due), a result
// from a claim taken over since changing nothing, one owner per endpoint under a lease, deletes
// doing what SQLite's code does, and the endpoints version counting what it counts on SQLite.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_migrations.h"
#include "tests/testing/pg_test_db.h"

namespace hookd {
namespace {

// Due deliveries of endpoint $1 at time $2, at most $5, leased to node $4 until $3.
constexpr char kClaim[] =
    "WITH due AS (SELECT seq FROM deliveries WHERE endpoint_id = $1"
    "  AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2"
    "  ORDER BY next_attempt_at LIMIT $5 FOR UPDATE SKIP LOCKED)"
    " UPDATE deliveries d SET next_attempt_at = $3, lease_until = $3, claimed_by = $4"
    " FROM due WHERE d.seq = due.seq RETURNING d.id";

// A result, written only under the claim it was made under (node $2, lease $3).
constexpr char kFinish[] =
    "UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL, lease_until = NULL,"
    " claimed_by = NULL, attempts = attempts + 1"
    " WHERE id = $1 AND claimed_by = $2 AND lease_until = $3";

// Endpoint $1 for node $2 until $3, at time $4: taken when free or its lease has ended, renewed
// by its owner; no row when another node holds it.
constexpr char kOwn[] =
    "INSERT INTO endpoint_owners (endpoint_id, node_id, lease_until, acquired_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (endpoint_id) DO UPDATE"
    " SET node_id = EXCLUDED.node_id, lease_until = EXCLUDED.lease_until,"
    "  acquired_at = CASE WHEN endpoint_owners.node_id = EXCLUDED.node_id"
    "   THEN endpoint_owners.acquired_at ELSE EXCLUDED.acquired_at END"
    " WHERE endpoint_owners.node_id = EXCLUDED.node_id"
    "  OR endpoint_owners.lease_until <= EXCLUDED.acquired_at"
    " RETURNING node_id";

class PgSchemaRulesTest : public testing::PgTest {
 protected:
  void SetUp() override {
    testing::PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    conn_ = Connect();
    ASSERT_TRUE(conn_);
    ASSERT_TRUE(ApplyPgMigrations(*conn_, EmbeddedPgMigrations()).ok());
  }

  // The rows `sql` returns on `conn` (-1 on error, which fails the test).
  static int Rows(PgConn& conn, const char* sql, std::initializer_list<PgParam> params = {}) {
    auto r = conn.Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? r->rows() : -1;
  }
  int Rows(const char* sql, std::initializer_list<PgParam> params = {}) {
    return Rows(*conn_, sql, params);
  }
  int64_t Affected(PgConn& conn, const char* sql, std::initializer_list<PgParam> params) {
    auto r = conn.Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? r->Affected() : -1;
  }
  int64_t Scalar(const char* sql, std::initializer_list<PgParam> params = {}) {
    auto r = conn_->Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() && r->rows() == 1 ? r->Int(0, 0).value() : -1;
  }
  std::set<std::string> Ids(PgConn& conn, const char* sql, std::initializer_list<PgParam> params) {
    std::set<std::string> out;
    auto r = conn.Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    if (r.ok()) {
      for (int i = 0; i < r->rows(); ++i) out.insert(std::string(r->Text(i, 0)));
    }
    return out;
  }

  void AddApp(const std::string& id) {
    ASSERT_EQ(Rows("INSERT INTO applications (id, uid, name, created_at, updated_at)"
                   " VALUES ($1, $1, $1, 1, 1) RETURNING seq",
                   {id}),
              1);
  }
  void AddEndpoint(const std::string& id, const std::string& app = "app_default") {
    ASSERT_EQ(Rows("INSERT INTO endpoints (id, url, secret, created_at, updated_at, app_id)"
                   " VALUES ($1, 'https://example.com/', 'whsec_x', 1, 1, $2) RETURNING id",
                   {id, app}),
              1);
  }
  void AddMessage(const std::string& id, const std::string& app = "app_default") {
    ASSERT_EQ(Rows("INSERT INTO messages (id, event_type, payload, created_at, app_id)"
                   " VALUES ($1, 'a.b', '\\x7b7d'::bytea, 1, $2) RETURNING seq",
                   {id, app}),
              1);
  }
  // A pending delivery due at `due` (NULL: final).
  void AddDelivery(const std::string& id, const std::string& message, const std::string& endpoint,
                   PgParam due) {
    ASSERT_EQ(Rows("INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at,"
                   " created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, 1, 1) RETURNING id",
                   {id, message, endpoint, due}),
              1);
  }
  void AddAttempt(const std::string& id, const std::string& delivery) {
    ASSERT_EQ(Rows("INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms)"
                   " VALUES ($1, $2, 1, 1, 1) RETURNING id",
                   {id, delivery}),
              1);
  }
  void AddNode(const std::string& id) {
    ASSERT_EQ(Rows("INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ($1, 1, 1)"
                   " RETURNING id",
                   {id}),
              1);
  }

  std::unique_ptr<PgConn> conn_;
};

TEST_F(PgSchemaRulesTest, DuplicatesAreRefusedByEachUniqueConstraint) {
  // Events: one per (source, provider event id); another source may use the same provider id.
  constexpr char kEvent[] =
      "INSERT INTO events (id, source_id, provider, provider_event_id, type, headers, body,"
      " received_at) VALUES ($1, $2, 'stripe', $3, 't', '{}', '\\x00ff'::bytea, 1)"
      " ON CONFLICT (source_id, provider_event_id) DO NOTHING RETURNING seq";
  EXPECT_EQ(Rows(kEvent, {"evt_1", "src_1", "p_1"}), 1);
  EXPECT_EQ(Rows(kEvent, {"evt_2", "src_1", "p_1"}), 0);
  EXPECT_EQ(Rows(kEvent, {"evt_3", "src_2", "p_1"}), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM events"), 2);

  // An Idempotency-Key once per application; messages without a key are never in conflict.
  AddApp("app_other");
  constexpr char kMessage[] =
      "INSERT INTO messages (id, event_type, idempotency_key, created_at, app_id)"
      " VALUES ($1, 'a.b', $2, 1, $3) ON CONFLICT (app_id, idempotency_key)"
      " WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING seq";
  EXPECT_EQ(Rows(kMessage, {"msg_1", "key", "app_default"}), 1);
  EXPECT_EQ(Rows(kMessage, {"msg_2", "key", "app_default"}), 0);
  EXPECT_EQ(Rows(kMessage, {"msg_3", "key", "app_other"}), 1);
  EXPECT_EQ(Rows(kMessage, {"msg_4", nullptr, "app_default"}), 1);
  EXPECT_EQ(Rows(kMessage, {"msg_5", nullptr, "app_default"}), 1);

  // A uid names one live application; a deleted one gives it up.
  constexpr char kApp[] =
      "INSERT INTO applications (id, uid, name, created_at, updated_at) VALUES ($1, $2, 'n', 1, 1)"
      " ON CONFLICT (uid) WHERE uid IS NOT NULL AND deleted_at IS NULL DO NOTHING RETURNING seq";
  EXPECT_EQ(Rows(kApp, {"app_a", "acme"}), 1);
  EXPECT_EQ(Rows(kApp, {"app_b", "acme"}), 0);
  EXPECT_EQ(Rows("UPDATE applications SET deleted_at = 2 WHERE id = 'app_a' RETURNING id"), 1);
  EXPECT_EQ(Rows(kApp, {"app_b", "acme"}), 1);

  // Event types: one row per (application, type), counted by fan-out's upsert.
  constexpr char kSeen[] =
      "INSERT INTO event_types (app_id, event_type, count, last_seen) VALUES ($1, 'a.b', 1, $2)"
      " ON CONFLICT (app_id, event_type) DO UPDATE SET count = event_types.count + 1,"
      " last_seen = GREATEST(event_types.last_seen, EXCLUDED.last_seen) RETURNING count";
  EXPECT_EQ(Rows(kSeen, {"app_default", 5}), 1);
  EXPECT_EQ(Rows(kSeen, {"app_default", 3}), 1);
  EXPECT_EQ(Scalar("SELECT count * 100 + last_seen FROM event_types"), 205);

  // Every other unique column: the second row with the same value is refused.
  AddEndpoint("ep_1");
  AddDelivery("dlv_1", "msg_1", "ep_1", nullptr);
  AddAttempt("att_1", "dlv_1");
  const char* const kDuplicates[] = {
      "INSERT INTO events (id, source_id, provider, provider_event_id, type, headers, body,"
      " received_at) VALUES ('evt_1', 's', 'p', 'other', 't', '{}', '', 1)",
      "INSERT INTO messages (id, event_type, created_at) VALUES ('msg_1', 't', 1)",
      "INSERT INTO deliveries (id, message_id, endpoint_id, status, created_at, updated_at)"
      " VALUES ('dlv_1', 'msg_1', 'ep_1', 'pending', 1, 1)",
      "INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms)"
      " VALUES ('att_1', 'dlv_1', 2, 1, 1)",
      "INSERT INTO applications (id, name, created_at, updated_at) VALUES ('app_a', 'n', 1, 1)",
      "INSERT INTO endpoints (id, url, secret, created_at, updated_at)"
      " VALUES ('ep_1', 'https://e/', 's', 1, 1)",
      "INSERT INTO sources (id, name, provider, secret, created_at, updated_at)"
      " VALUES ('src_1', 'n', 'stripe', 's', 1, 1)",
      "INSERT INTO sessions (id_hash, token_fingerprint, created_at, last_seen_at)"
      " VALUES ('h', 'f', 1, 1)",
      "INSERT INTO app_tokens (id, app_id, token_hash, created_at)"
      " VALUES ('tok_2', 'app_default', 'hash', 1)",
      "INSERT INTO app_tokens (id, app_id, token_hash, created_at)"
      " VALUES ('tok_1', 'app_default', 'hash2', 1)",
      "INSERT INTO portal_codes (code_hash, app_id, read_only, created_at, expires_at)"
      " VALUES ('c', 'app_default', 0, 1, 2)",
      "INSERT INTO readiness (id, checked_at) VALUES (1, 1)",
      "INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ('node-a', 1, 1)",
  };
  ASSERT_EQ(Rows("INSERT INTO sources (id, name, provider, secret, created_at, updated_at)"
                 " VALUES ('src_1', 'n', 'stripe', 's', 1, 1) RETURNING id"),
            1);
  ASSERT_EQ(Rows("INSERT INTO sessions (id_hash, token_fingerprint, created_at, last_seen_at)"
                 " VALUES ('h', 'f', 1, 1) RETURNING id_hash"),
            1);
  ASSERT_EQ(Rows("INSERT INTO app_tokens (id, app_id, token_hash, created_at)"
                 " VALUES ('tok_1', 'app_default', 'hash', 1) RETURNING id"),
            1);
  ASSERT_EQ(Rows("INSERT INTO portal_codes (code_hash, app_id, read_only, created_at, expires_at)"
                 " VALUES ('c', 'app_default', 0, 1, 2) RETURNING code_hash"),
            1);
  ASSERT_EQ(Rows("INSERT INTO readiness (id, checked_at) VALUES (1, 1) RETURNING id"), 1);
  AddNode("node-a");
  for (const char* sql : kDuplicates) {
    EXPECT_EQ(Rows((std::string(sql) + " ON CONFLICT DO NOTHING RETURNING 1").c_str()), 0) << sql;
    auto plain = conn_->Exec(sql);
    ASSERT_FALSE(plain.ok()) << sql;
    EXPECT_EQ(plain.status().code(), "unique_violation") << plain.status().ToString();
  }
}

TEST_F(PgSchemaRulesTest, ClaimsInOpenTransactionsGetDisjointRows) {
  AddEndpoint("ep_1");
  AddEndpoint("ep_2");
  AddMessage("msg_1");
  for (int i = 0; i < 5; ++i)
    AddDelivery("dlv_" + std::to_string(i), "msg_1", "ep_1", int64_t{1000} + i);
  AddDelivery("dlv_later", "msg_1", "ep_1", int64_t{999999});
  AddDelivery("dlv_final", "msg_1", "ep_1", nullptr);
  AddDelivery("dlv_other", "msg_1", "ep_2", int64_t{1000});

  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  // A claim that waited on the other's locks instead of skipping them would fail here, not hang.
  ASSERT_TRUE(b->ExecScript("SET statement_timeout = 5000").ok());
  auto ta = PgTransaction::Begin(*a);
  auto tb = PgTransaction::Begin(*b);
  ASSERT_TRUE(ta.ok() && tb.ok());
  const auto by_a = Ids(*a, kClaim, {"ep_1", 2000, 32000, "node-a", 3});
  const auto by_b = Ids(*b, kClaim, {"ep_1", 2000, 32000, "node-b", 3});
  EXPECT_EQ(by_a, (std::set<std::string>{"dlv_0", "dlv_1", "dlv_2"}));
  EXPECT_EQ(by_b, (std::set<std::string>{"dlv_3", "dlv_4"}));
  ASSERT_TRUE((*ta)->Commit().ok());
  ASSERT_TRUE((*tb)->Commit().ok());

  // Claimed work is not due again until its lease ends; then any node takes it over.
  EXPECT_TRUE(Ids(*conn_, kClaim, {"ep_1", 2000, 62000, "node-c", 10}).empty());
  EXPECT_EQ(Ids(*conn_, kClaim, {"ep_1", 40000, 72000, "node-c", 10}).size(), 5u);
  EXPECT_EQ(Scalar("SELECT count(*) FROM deliveries WHERE claimed_by = 'node-c'"), 5);
}

TEST_F(PgSchemaRulesTest, TheClaimReadsThePartialDueIndex) {
  ASSERT_TRUE(conn_->ExecScript("SET enable_seqscan = off").ok());
  auto plan = conn_->Exec(std::string("EXPLAIN ") + kClaim, {"ep_1", 2000, 32000, "node-a", 3});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::string text;
  for (int i = 0; i < plan->rows(); ++i) text += std::string(plan->Text(i, 0)) + "\n";
  EXPECT_NE(text.find("deliveries_due"), std::string::npos) << text;
}

TEST_F(PgSchemaRulesTest, AResultFromAClaimTakenOverSinceChangesNothing) {
  AddEndpoint("ep_1");
  AddMessage("msg_1");
  AddDelivery("dlv_1", "msg_1", "ep_1", int64_t{1000});
  ASSERT_EQ(Ids(*conn_, kClaim, {"ep_1", 1000, 31000, "node-a", 1}).size(), 1u);
  // node-a stalls past its lease; node-b takes the delivery over.
  ASSERT_EQ(Ids(*conn_, kClaim, {"ep_1", 40000, 70000, "node-b", 1}).size(), 1u);
  EXPECT_EQ(Affected(*conn_, kFinish, {"dlv_1", "node-a", 31000}), 0);
  EXPECT_EQ(Scalar("SELECT lease_until FROM deliveries WHERE claimed_by = 'node-b'"), 70000);
  EXPECT_EQ(Affected(*conn_, kFinish, {"dlv_1", "node-b", 70000}), 1);
  EXPECT_EQ(Scalar("SELECT attempts FROM deliveries WHERE id = 'dlv_1'"), 1);

  // The same node claiming again after its own lease ended: the older claim's result is stale too.
  AddDelivery("dlv_2", "msg_1", "ep_1", int64_t{1000});
  ASSERT_EQ(Ids(*conn_, kClaim, {"ep_1", 1000, 31000, "node-a", 1}).size(), 1u);
  ASSERT_EQ(Ids(*conn_, kClaim, {"ep_1", 40000, 70000, "node-a", 1}).size(), 1u);
  EXPECT_EQ(Affected(*conn_, kFinish, {"dlv_2", "node-a", 31000}), 0);
  EXPECT_EQ(Affected(*conn_, kFinish, {"dlv_2", "node-a", 70000}), 1);
}

TEST_F(PgSchemaRulesTest, AnEndpointHasOneOwnerUntilItsLeaseEnds) {
  AddEndpoint("ep_1");
  AddNode("node-a");
  AddNode("node-b");
  EXPECT_EQ(Rows(kOwn, {"ep_1", "node-a", 11000, 1000}), 1);
  EXPECT_EQ(Rows(kOwn, {"ep_1", "node-b", 15000, 5000}), 0);   // held
  EXPECT_EQ(Rows(kOwn, {"ep_1", "node-a", 16000, 6000}), 1);   // renewed
  EXPECT_EQ(Rows(kOwn, {"ep_1", "node-b", 26000, 16000}), 1);  // ended: taken over
  EXPECT_EQ(Scalar("SELECT acquired_at FROM endpoint_owners WHERE node_id = 'node-b'"), 16000);
  // A node removed (its heartbeat stale) frees its endpoints at once; so does the endpoint's end.
  EXPECT_EQ(Rows("DELETE FROM nodes WHERE id = 'node-b' RETURNING id"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM endpoint_owners"), 0);
  EXPECT_EQ(Rows(kOwn, {"ep_1", "node-a", 30000, 20000}), 1);
  EXPECT_EQ(Rows("DELETE FROM endpoints WHERE id = 'ep_1' RETURNING id"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM endpoint_owners"), 0);
  // Only a registered node owns, only an existing endpoint is owned.
  EXPECT_FALSE(conn_->Exec(kOwn, {"ep_1", "node-a", 30000, 20000}).ok());
  AddEndpoint("ep_2");
  EXPECT_FALSE(conn_->Exec(kOwn, {"ep_2", "node-x", 30000, 20000}).ok());
}

TEST_F(PgSchemaRulesTest, DeletesDoWhatSqlitesCodeDoes) {
  AddApp("app_x");
  AddEndpoint("ep_x", "app_x");
  AddMessage("msg_x", "app_x");
  AddDelivery("dlv_x", "msg_x", "ep_x", int64_t{1000});
  AddAttempt("att_x", "dlv_x");
  ASSERT_EQ(Rows("INSERT INTO sources (id, name, provider, secret, created_at, updated_at,"
                 " app_id) VALUES ('src_x', 'n', 'github', 's', 1, 1, 'app_x') RETURNING id"),
            1);
  ASSERT_EQ(Rows("INSERT INTO app_tokens (id, app_id, token_hash, created_at)"
                 " VALUES ('tok_x', 'app_x', 'h', 1) RETURNING id"),
            1);
  ASSERT_EQ(Rows("INSERT INTO event_types VALUES ('app_x', 'a.b', 1, 1) RETURNING count"), 1);
  ASSERT_EQ(Rows("INSERT INTO portal_codes (code_hash, app_id, read_only, created_at, expires_at)"
                 " VALUES ('c', 'app_x', 0, 1, 2) RETURNING code_hash"),
            1);

  // An endpoint's deliveries outlive it (they end failed, "endpoint deleted", and stay listed).
  EXPECT_EQ(Rows("DELETE FROM endpoints WHERE id = 'ep_x' RETURNING id"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM deliveries WHERE endpoint_id = 'ep_x'"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM attempts"), 1);
  // A message takes its deliveries and their attempts with it (retention, the reaper).
  EXPECT_EQ(Rows("DELETE FROM messages WHERE id = 'msg_x' RETURNING id"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM deliveries"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM attempts"), 0);

  // The application's row, removed last by the reaper, takes the rest of it along.
  AddEndpoint("ep_y", "app_x");
  AddMessage("msg_y", "app_x");
  EXPECT_EQ(Rows("DELETE FROM applications WHERE id = 'app_x' RETURNING id"), 1);
  for (const char* table : {"sources", "endpoints", "app_tokens", "event_types", "portal_codes"}) {
    EXPECT_EQ(
        Scalar((std::string("SELECT count(*) FROM ") + table + " WHERE app_id = 'app_x'").c_str()),
        0)
        << table;
  }
  // Messages are the reaper's, in batches (a cascade would be one huge delete); none is lost here.
  EXPECT_EQ(Scalar("SELECT count(*) FROM messages WHERE app_id = 'app_x'"), 1);
  // Nothing is added under an application another node has just removed.
  auto late = conn_->Exec(
      "INSERT INTO endpoints (id, url, secret, created_at, updated_at, app_id)"
      " VALUES ('ep_z', 'https://e/', 's', 1, 1, 'app_x')");
  EXPECT_FALSE(late.ok());
}

TEST_F(PgSchemaRulesTest, TheEndpointsVersionCountsWhatItCountsOnSqlite) {
  const char* version = "SELECT version FROM endpoints_version";
  const int64_t v0 = Scalar(version);
  AddEndpoint("ep_1");
  EXPECT_EQ(Scalar(version), v0 + 1);
  ASSERT_EQ(Rows("UPDATE endpoints SET url = 'https://other/' RETURNING id"), 1);
  EXPECT_EQ(Scalar(version), v0 + 2);
  // Assigned but unchanged, or the engine's own bookkeeping: no change.
  ASSERT_EQ(Rows("UPDATE endpoints SET url = url, circuit = 'open', failing_since = 5,"
                 " updated_at = 9 RETURNING id"),
            1);
  EXPECT_EQ(Scalar(version), v0 + 2);
  ASSERT_EQ(Rows("UPDATE endpoints SET rate_limit_per_second = 10 RETURNING id"), 1);
  EXPECT_EQ(Scalar(version), v0 + 3);
  ASSERT_EQ(Rows("DELETE FROM endpoints RETURNING id"), 1);
  EXPECT_EQ(Scalar(version), v0 + 4);
}

}  // namespace
}  // namespace hookd
