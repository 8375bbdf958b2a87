// PgDeliveryQueue on one PostgreSQL: a node claims due deliveries only of endpoints it owns, in
// batches, oldest due first, leasing each (next_attempt_at = lease_until = now + lease, claimed_by
// = the node); a claim whose lease ends is taken over by another node, and the first node's late
// result (or its own earlier claim's, once it claimed again) is refused and changes nothing; a
// result on time writes exactly the rows and status entries SQLite's AttemptRecorder writes for
// the same input (compared column by column); bad inputs are clear errors that change nothing.
#include "storage/pg/pg_delivery_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/random.h"
#include "deliver/attempt_recorder.h"
#include "storage/pg/pg_endpoint_owners.h"
#include "storage/pg/pg_node_registry.h"
#include "tests/testing/pg_queue_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr int64_t kStart = 1'790'000'000'000;
constexpr milliseconds kOwnerLease{30'000};
constexpr milliseconds kClaimLease{20'000};
constexpr milliseconds kDisableAfter = hours(24 * 5);

std::vector<std::string> ClaimedIds(const std::vector<PgClaimedDelivery>& claimed) {
  std::vector<std::string> out;
  for (const PgClaimedDelivery& c : claimed) out.push_back(c.delivery_id);
  return out;
}

// A result for `c`, answered with `status` (0: no answer, `error` says why).
PgAttemptResult ResultFor(const PgClaimedDelivery& c, int status, int64_t started_at,
                          const std::string& error = "") {
  PgAttemptResult r;
  r.record.delivery_id = c.delivery_id;
  r.record.message_id = c.message_id;
  r.record.endpoint_id = c.endpoint_id;
  r.record.app_id = c.app_id;
  r.record.attempts_before = c.attempts;
  r.record.retry_index = c.retry_index;
  r.record.manual = c.manual;
  r.record.started_at = started_at;
  r.record.result.status = status;
  r.record.result.error = error;
  r.record.result.body = status ? "answered" : "";
  r.record.result.duration_ms = 42;
  r.lease_until = c.lease_until;
  return r;
}

class PgDeliveryQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = db_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    pool_b_ = db_.NewPool();
    for (auto* node : {&node_a_, &node_b_}) {
      const std::string id = node == &node_a_ ? "node-a" : "node-b";
      PgPool& pool = node == &node_a_ ? db_.pool() : *pool_b_;
      PgNodeRegistry registry(pool, clock_, NodeInfo(id), kOwnerLease);
      ASSERT_TRUE(registry.Register().ok());
      node->owners = std::make_unique<PgEndpointOwners>(pool, clock_, kOwnerLease);
      node->queue = std::make_unique<PgDeliveryQueue>(pool, clock_, node->random, id,
                                                      DefaultRetryPolicy(), kDisableAfter);
      node->id = id;
    }
    db_.AddEndpoint("ep_1");
    db_.AddMessage("msg_1");
  }

  struct Node {
    std::string id;
    SeededRandom random{7};
    std::unique_ptr<PgEndpointOwners> owners;
    std::unique_ptr<PgDeliveryQueue> queue;
  };

  void Own(Node& node, const std::string& endpoint) {
    auto r = node.owners->Acquire(node.id, endpoint);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(*r) << node.id << " could not take " << endpoint;
  }
  std::vector<PgClaimedDelivery> Claim(Node& node, const std::string& endpoint, int limit) {
    auto r = node.queue->Claim(endpoint, limit, kClaimLease);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<PgClaimedDelivery>{};
  }
  std::vector<PgClaimedDelivery> ClaimOwned(Node& node, int limit = PgDeliveryQueue::kClaimBatch) {
    auto r = node.queue->ClaimOwned(limit, kClaimLease);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<PgClaimedDelivery>{};
  }
  PgRecordSummary Record(Node& node, const std::vector<PgAttemptResult>& results,
                         const std::vector<PgReleasedDelivery>& released = {}) {
    auto r = node.queue->Record(results, {}, released);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PgRecordSummary{};
  }
  // Everything a result writes, as text.
  std::vector<std::string> Everything() {
    std::vector<std::string> out;
    for (const char* sql :
         {"SELECT * FROM deliveries ORDER BY seq", "SELECT * FROM attempts ORDER BY seq",
          "SELECT * FROM status_log ORDER BY seq", "SELECT * FROM endpoints ORDER BY id",
          "SELECT * FROM endpoint_owners ORDER BY endpoint_id"}) {
      for (std::string& row : db_.Rows(sql)) out.push_back(std::move(row));
    }
    return out;
  }

  PgQueueDb db_;
  FakeClock clock_{kStart};
  std::unique_ptr<PgPool> pool_b_;
  Node node_a_;
  Node node_b_;
};

TEST_F(PgDeliveryQueueTest, AClaimLeasesDueDeliveriesOfOwnedEndpointsInBatches) {
  for (int i = 0; i < 5; ++i)
    db_.AddDelivery(Cat({"dlv_", std::to_string(i)}), "msg_1", "ep_1", kStart - 10 + i);
  db_.AddDelivery("dlv_later", "msg_1", "ep_1", kStart + 1);
  db_.AddDelivery("dlv_done", "msg_1", "ep_1", kStart);
  db_.Exec(
      "UPDATE deliveries SET next_attempt_at = NULL, status = 'succeeded'"
      " WHERE id = 'dlv_done'");
  db_.Exec(
      "UPDATE deliveries SET attempts = 3, retry_index = 2, app_id = 'app_x'"
      " WHERE id = 'dlv_0'");
  Own(node_a_, "ep_1");

  const int64_t lease_end = kStart + kClaimLease.count();
  auto first = Claim(node_a_, "ep_1", 3);
  EXPECT_EQ(ClaimedIds(first), (std::vector<std::string>{"dlv_0", "dlv_1", "dlv_2"}));
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].message_id, "msg_1");
  EXPECT_EQ(first[0].endpoint_id, "ep_1");
  EXPECT_EQ(first[0].app_id, "app_x");
  EXPECT_EQ(first[0].attempts, 3);
  EXPECT_EQ(first[0].retry_index, 2);
  EXPECT_FALSE(first[0].manual);
  EXPECT_EQ(first[0].due_at, kStart - 10);
  EXPECT_EQ(first[2].due_at, kStart - 8);
  for (const PgClaimedDelivery& c : first) EXPECT_EQ(c.lease_until, lease_end);
  EXPECT_EQ(db_.Delivery("dlv_0"), Cat({"pending|3|2|", std::to_string(lease_end), "|",
                                        std::to_string(lease_end), "|node-a|NULL|NULL|0"}));
  EXPECT_EQ(ClaimedIds(Claim(node_a_, "ep_1", 64)), (std::vector<std::string>{"dlv_3", "dlv_4"}));
  EXPECT_TRUE(Claim(node_a_, "ep_1", 64).empty());
  EXPECT_EQ(db_.Count("SELECT count(*) FROM deliveries WHERE claimed_by = 'node-a'"), 5);

  // Across every endpoint the node owns, and only those.
  db_.AddEndpoint("ep_2");
  db_.AddEndpoint("ep_3");
  db_.AddDelivery("dlv_e2a", "msg_1", "ep_2", kStart - 100);
  db_.AddDelivery("dlv_e2b", "msg_1", "ep_2", kStart);
  db_.AddDelivery("dlv_e3", "msg_1", "ep_3", kStart - 200);
  Own(node_a_, "ep_2");
  Own(node_b_, "ep_3");
  EXPECT_EQ(ClaimedIds(ClaimOwned(node_a_, 1)), std::vector<std::string>{"dlv_e2a"});
  EXPECT_EQ(ClaimedIds(ClaimOwned(node_a_)), std::vector<std::string>{"dlv_e2b"});
  EXPECT_EQ(ClaimedIds(ClaimOwned(node_b_)), std::vector<std::string>{"dlv_e3"});

  // Claimed work is not due again until its lease ends; then the same node claims it again.
  // (dlv_later, due a millisecond after the start, is the only one due before.)
  clock_.Advance(kClaimLease - milliseconds(1));
  EXPECT_EQ(ClaimedIds(ClaimOwned(node_a_)), std::vector<std::string>{"dlv_later"});
  clock_.Advance(milliseconds(1));
  auto again = ClaimOwned(node_a_);
  EXPECT_EQ(again.size(), 7u);  // dlv_0 ... dlv_4, dlv_e2a, dlv_e2b
  for (const PgClaimedDelivery& c : again)
    EXPECT_EQ(c.lease_until, clock_.NowUnixMillis() + kClaimLease.count());
  EXPECT_EQ(db_.Text("SELECT claimed_by FROM deliveries WHERE id = 'dlv_done'"), "");
}

TEST_F(PgDeliveryQueueTest, ALeaseThatEndsIsTakenOverAndTheLateResultChangesNothing) {
  db_.AddDelivery("dlv_1", "msg_1", "ep_1", kStart);
  Own(node_a_, "ep_1");
  const auto by_a = Claim(node_a_, "ep_1", 64);
  ASSERT_EQ(ClaimedIds(by_a), std::vector<std::string>{"dlv_1"});

  // node-a stalls: no heartbeat, no result. Its endpoint's lease ends, node-b takes the endpoint
  // and, the claim's lease having ended too, the delivery.
  clock_.Advance(kOwnerLease);
  auto taken = node_b_.owners->AcquireDue(node_b_.id, 10);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, std::vector<std::string>{"ep_1"});
  const auto by_b = ClaimOwned(node_b_);
  ASSERT_EQ(ClaimedIds(by_b), std::vector<std::string>{"dlv_1"});
  EXPECT_GT(by_b[0].lease_until, by_a[0].lease_until);
  // node-a no longer owns the endpoint: it can claim nothing of it.
  auto refused = node_a_.queue->Claim("ep_1", 64, kClaimLease);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(refused.status().code(), "not_owner");

  auto by_b_summary = Record(node_b_, {ResultFor(by_b[0], 500, clock_.NowUnixMillis())});
  EXPECT_EQ(by_b_summary.recorded, 1);
  EXPECT_TRUE(by_b_summary.stale.empty());
  EXPECT_EQ(db_.Text("SELECT status FROM deliveries WHERE id = 'dlv_1'"), "retrying");
  const auto after_b = Everything();

  // node-a wakes up and reports its attempt: refused, counted, nothing written.
  clock_.Advance(milliseconds(5));
  auto late = Record(node_a_, {ResultFor(by_a[0], 200, kStart)});
  EXPECT_EQ(late.recorded, 0);
  EXPECT_EQ(late.stale, std::vector<std::string>{"dlv_1"});
  EXPECT_EQ(Everything(), after_b);
  EXPECT_EQ(db_.Count("SELECT count(*) FROM attempts WHERE delivery_id = 'dlv_1'"), 1);
  EXPECT_EQ(db_.Text("SELECT last_status FROM deliveries WHERE id = 'dlv_1'"), "500");
  // A release of the old claim is refused the same way.
  late = Record(node_a_, {}, {{"dlv_1", by_a[0].lease_until, kStart}});
  EXPECT_EQ(late.released, 0);
  EXPECT_EQ(late.stale, std::vector<std::string>{"dlv_1"});
  EXPECT_EQ(Everything(), after_b);
}

TEST_F(PgDeliveryQueueTest, TheSameNodesLaterClaimMakesItsEarlierResultStale) {
  db_.AddDelivery("dlv_1", "msg_1", "ep_1", kStart);
  Own(node_a_, "ep_1");
  const auto first = Claim(node_a_, "ep_1", 64);
  ASSERT_EQ(first.size(), 1u);
  clock_.Advance(kClaimLease);
  const auto second = Claim(node_a_, "ep_1", 64);  // the endpoint's lease still holds
  ASSERT_EQ(second.size(), 1u);
  ASSERT_NE(first[0].lease_until, second[0].lease_until);
  const auto before = Everything();
  auto stale = Record(node_a_, {ResultFor(first[0], 200, kStart)});
  EXPECT_EQ(stale.stale, std::vector<std::string>{"dlv_1"});
  EXPECT_EQ(Everything(), before);
  // A batch mixing both: the current claim's result is written, the old one's is not.
  auto mixed = Record(node_a_, {ResultFor(first[0], 500, kStart),
                                ResultFor(second[0], 200, clock_.NowUnixMillis())});
  EXPECT_EQ(mixed.recorded, 1);
  EXPECT_EQ(mixed.stale, std::vector<std::string>{"dlv_1"});
  EXPECT_EQ(db_.Delivery("dlv_1"), Cat({"succeeded|1|1|NULL|NULL|NULL|200|NULL|",
                                        std::to_string(clock_.NowUnixMillis())}));
  EXPECT_EQ(db_.Count("SELECT count(*) FROM attempts"), 1);
  EXPECT_EQ(db_.Count("SELECT count(*) FROM status_log WHERE type = 'delivery.attempted'"), 1);
  // Written once, a result is stale for good: the claim is gone.
  auto again = Record(node_a_, {ResultFor(second[0], 200, clock_.NowUnixMillis())});
  EXPECT_EQ(again.stale, std::vector<std::string>{"dlv_1"});
}

TEST_F(PgDeliveryQueueTest, AReleasedDeliveryIsDueAgainWithItsAttemptsUntouched) {
  db_.AddDelivery("dlv_1", "msg_1", "ep_1", kStart);
  Own(node_a_, "ep_1");
  const auto claimed = Claim(node_a_, "ep_1", 64);
  ASSERT_EQ(claimed.size(), 1u);
  auto summary = Record(node_a_, {}, {{"dlv_1", claimed[0].lease_until, kStart + 1000}});
  EXPECT_EQ(summary.released, 1);
  EXPECT_EQ(db_.Delivery("dlv_1"),
            Cat({"pending|0|0|", std::to_string(kStart + 1000), "|NULL|NULL|NULL|NULL|0"}));
  EXPECT_TRUE(ClaimOwned(node_a_).empty());
  clock_.Advance(milliseconds(1000));
  EXPECT_EQ(ClaimOwned(node_a_).size(), 1u);
}

TEST_F(PgDeliveryQueueTest, BadInputsAreClearErrorsThatChangeNothing) {
  db_.AddEndpoint("ep_2");
  db_.AddDelivery("dlv_1", "msg_1", "ep_1", kStart);
  db_.AddDelivery("dlv_2", "msg_1", "ep_2", kStart);
  Own(node_a_, "ep_1");
  Own(node_b_, "ep_2");
  const auto claimed = Claim(node_a_, "ep_1", 64);
  ASSERT_EQ(claimed.size(), 1u);
  const auto before = Everything();

  for (int limit : {0, -1}) {
    auto r = node_a_.queue->Claim("ep_1", limit, kClaimLease);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField) << limit;
    r = node_a_.queue->ClaimOwned(limit, kClaimLease);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField) << limit;
  }
  for (milliseconds lease : {milliseconds(0), milliseconds(-5)}) {
    auto r = node_a_.queue->Claim("ep_1", 10, lease);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField);
  }
  // Another node's endpoint, and one nobody owns (or that does not exist).
  for (const char* ep : {"ep_2", "ep_none"}) {
    auto r = node_a_.queue->Claim(ep, 10, kClaimLease);
    ASSERT_FALSE(r.ok()) << ep;
    EXPECT_EQ(r.status().kind(), ErrorKind::kConflict) << ep;
    EXPECT_EQ(r.status().code(), "not_owner");
    EXPECT_NE(r.status().message().find(ep), std::string::npos) << r.status().ToString();
  }
  // An unknown delivery in a batch: nothing of the batch is written, the good result included.
  PgClaimedDelivery unknown = claimed[0];
  unknown.delivery_id = "dlv_none";
  auto r =
      node_a_.queue->Record({ResultFor(claimed[0], 200, kStart), ResultFor(unknown, 200, kStart)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.status().message().find("dlv_none"), std::string::npos);
  r = node_a_.queue->Record({}, {}, {{"dlv_none", claimed[0].lease_until, kStart}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(Everything(), before);
  // The claim still holds: its result is written now.
  EXPECT_EQ(Record(node_a_, {ResultFor(claimed[0], 200, kStart)}).recorded, 1);
}

// The same rows on SQLite and on PostgreSQL; the cases of AttemptRecorder's RecordOne.
constexpr const char* kSeed[] = {
    "INSERT INTO endpoints (id, url, secret, created_at, updated_at)"
    " VALUES ('ep_2', 'https://gone.example/', 's', 0, 0)",
    "INSERT INTO endpoints (id, url, secret, created_at, updated_at, disabled, disabled_reason)"
    " VALUES ('ep_3', 'https://off.example/', 's', 0, 0, 1, 'by hand')",
    "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at, created_at,"
    " updated_at, app_id) VALUES"
    " ('dlv_ok', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_retry', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_x'),"
    " ('dlv_timeout', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_last', 'msg_1', 'ep_1', 'retrying', 0, 0, 0, 'app_default'),"
    " ('dlv_after', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_manual', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_gone', 'msg_1', 'ep_2', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_off', 'msg_1', 'ep_3', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_release', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_b1', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default'),"
    " ('dlv_b2', 'msg_1', 'ep_1', 'pending', 0, 0, 0, 'app_default')",
    "UPDATE deliveries SET attempts = 7, retry_index = 7 WHERE id = 'dlv_last'",
    "UPDATE deliveries SET attempts = 2, retry_index = 1, manual_return_status = 'failed'"
    " WHERE id = 'dlv_manual'",
};

// The columns both engines have, compared row by row.
constexpr const char* kCompared[] = {
    "SELECT id, status, attempts, retry_index, next_attempt_at, lease_until, last_status,"
    " last_error, updated_at, manual_return_status, manual_return_at, app_id FROM deliveries"
    " ORDER BY id",
    "SELECT id, delivery_id, number, started_at, duration_ms, response_status, response_body,"
    " error FROM attempts ORDER BY delivery_id, number",
    "SELECT id, disabled, disabled_reason, failing_since, circuit, circuit_retry_at, updated_at"
    " FROM endpoints ORDER BY id",
    "SELECT type, at, data FROM status_log ORDER BY seq",
};

std::vector<std::string> SqliteRows(Db& db, const std::string& sql, int columns) {
  std::vector<std::string> out;
  auto st = db.Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  if (!st.ok()) return out;
  while (true) {
    auto row = st->Step();
    EXPECT_TRUE(row.ok()) << sql;
    if (!row.ok() || !*row) break;
    std::string line;
    for (int col = 0; col < columns; ++col) {
      if (col) line += '|';
      line += st->IsNull(col) ? std::string("NULL") : st->Text(col);
    }
    out.push_back(std::move(line));
  }
  return out;
}

TEST_F(PgDeliveryQueueTest, AResultOnTimeWritesWhatSqlitesRecorderWrites) {
  // SQLite, as the delivery engine runs it.
  TempDir dir;
  auto opened = Db::Open(Cat({dir.path(), "/hookd.db"}), DbOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Db> sqlite = std::move(opened).value();
  ASSERT_TRUE(ApplyMigrations(*sqlite, EmbeddedMigrations()).ok());
  ASSERT_TRUE(sqlite
                  ->Exec("INSERT INTO endpoints (id, url, secret, created_at, updated_at)"
                         " VALUES ('ep_1', 'https://receiver.example/hook', 'whsec_x', 0, 0)")
                  .ok());
  ASSERT_TRUE(sqlite
                  ->Exec("INSERT INTO messages (id, event_type, payload, created_at)"
                         " VALUES ('msg_1', 'a.b', '{}', 0)")
                  .ok());
  for (const char* sql : kSeed) {
    ASSERT_TRUE(sqlite->Exec(sql).ok()) << sql;
    db_.Exec(sql);
  }
  // Status entries written so far (none expected) are left out of the comparison below.
  ASSERT_EQ(db_.Count("SELECT count(*) FROM status_log"), 0);

  // PostgreSQL: node-a owns the endpoints and claims everything; SQLite gets the same lease.
  for (const char* ep : {"ep_1", "ep_2", "ep_3"}) Own(node_a_, ep);
  auto claimed = ClaimOwned(node_a_, 64);
  ASSERT_EQ(claimed.size(), 11u);
  const int64_t lease = kStart + kClaimLease.count();
  ASSERT_TRUE(sqlite
                  ->Exec(Cat({"UPDATE deliveries SET next_attempt_at = ", std::to_string(lease),
                              ", lease_until = ", std::to_string(lease)}))
                  .ok());
  std::map<std::string, PgClaimedDelivery> by_id;
  for (const PgClaimedDelivery& c : claimed) by_id[c.delivery_id] = c;

  Metrics metrics;
  FakeClock sqlite_clock{kStart};
  SeededRandom sqlite_random{7};
  AttemptRecorder recorder(*sqlite, metrics, sqlite_clock, sqlite_random, DefaultRetryPolicy(),
                           kDisableAfter);
  auto both = [&](const std::vector<PgAttemptResult>& results,
                  const std::vector<CircuitChange>& circuit,
                  const std::vector<PgReleasedDelivery>& released) {
    std::vector<AttemptRecord> records;
    for (const PgAttemptResult& r : results) records.push_back(r.record);
    std::vector<ReleasedDelivery> sqlite_released;
    for (const PgReleasedDelivery& r : released)
      sqlite_released.push_back({r.delivery_id, r.due_at});
    Status s = recorder.Record(records, circuit, sqlite_released);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto pg = node_a_.queue->Record(results, circuit, released);
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    EXPECT_EQ(pg->recorded, static_cast<int64_t>(results.size()));
    EXPECT_EQ(pg->released, static_cast<int64_t>(released.size()));
    EXPECT_TRUE(pg->stale.empty());
    EXPECT_EQ(pg->earliest_retry, recorder.TakeEarliestRetry());
    EXPECT_EQ(pg->endpoints_changed, recorder.TakeEndpointsChanged());
  };

  clock_.Advance(milliseconds(3000));
  sqlite_clock.Advance(milliseconds(3000));
  const int64_t started = kStart + 1000;
  std::vector<PgAttemptResult> batch = {
      ResultFor(by_id["dlv_ok"], 200, started),
      ResultFor(by_id["dlv_retry"], 500, started),
      ResultFor(by_id["dlv_timeout"], 0, started, "timeout after 30s"),
      ResultFor(by_id["dlv_last"], 502, started),
      ResultFor(by_id["dlv_after"], 503, started),
      ResultFor(by_id["dlv_manual"], 500, started),
      ResultFor(by_id["dlv_gone"], 410, started),
      ResultFor(by_id["dlv_off"], 0, started, "endpoint disabled: by hand"),
  };
  batch[4].record.result.retry_after = "120";
  batch[7].record.attempted = false;
  EXPECT_TRUE(batch[5].record.manual);
  CircuitChange opened_circuit;
  opened_circuit.endpoint_id = "ep_1";
  opened_circuit.from = CircuitState::kClosed;
  opened_circuit.to = CircuitState::kOpen;
  opened_circuit.retry_at_ms = kStart + 600'000;
  opened_circuit.reason = "5 failures in a row";
  both(batch, {opened_circuit}, {{"dlv_release", lease, kStart + 5000}});
  if (HasFatalFailure()) return;

  // A second batch later: a failure then a success on ep_1 (failing_since cleared at the end),
  // and the circuit closing.
  clock_.Advance(hours(1));
  sqlite_clock.Advance(hours(1));
  CircuitChange closed_circuit;
  closed_circuit.endpoint_id = "ep_1";
  closed_circuit.from = CircuitState::kHalfOpen;
  closed_circuit.to = CircuitState::kClosed;
  both({ResultFor(by_id["dlv_b1"], 500, started), ResultFor(by_id["dlv_b2"], 204, started)},
       {closed_circuit}, {});
  if (HasFatalFailure()) return;

  const int columns[] = {12, 8, 7, 3};
  for (size_t i = 0; i < std::size(kCompared); ++i) {
    auto expected = SqliteRows(*sqlite, kCompared[i], columns[i]);
    auto actual = db_.Rows(kCompared[i]);
    if (i + 1 < std::size(kCompared)) {
      // By id in byte order on both (the status log stays in seq order).
      std::sort(expected.begin(), expected.end());
      std::sort(actual.begin(), actual.end());
    }
    EXPECT_FALSE(expected.empty()) << kCompared[i];
    EXPECT_EQ(actual, expected) << kCompared[i];
  }
  // What only PostgreSQL has: no delivery is held by a node any more.
  EXPECT_EQ(db_.Count("SELECT count(*) FROM deliveries WHERE claimed_by IS NOT NULL"), 0);
  // The cases did what they are named for (so the comparison is not of empty effects).
  EXPECT_EQ(db_.Text("SELECT string_agg(id || '=' || status, ',' ORDER BY id) FROM deliveries"),
            "dlv_after=retrying,dlv_b1=retrying,dlv_b2=succeeded,dlv_gone=failed,"
            "dlv_last=failed,dlv_manual=failed,dlv_off=failed,dlv_ok=succeeded,"
            "dlv_release=pending,dlv_retry=retrying,dlv_timeout=retrying");
  EXPECT_EQ(db_.Text("SELECT disabled FROM endpoints WHERE id = 'ep_2'"), "1");
  EXPECT_EQ(db_.Text("SELECT retry_index FROM deliveries WHERE id = 'dlv_manual'"), "1");
  EXPECT_EQ(db_.Count("SELECT count(*) FROM status_log WHERE data LIKE '%circuit_open%'"), 3);
}

}  // namespace
}  // namespace hookd::testing
