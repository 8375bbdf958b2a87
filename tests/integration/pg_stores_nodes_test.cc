// The PostgreSQL stores with two nodes on one database (two PgPools, as two hookd processes have):
// what one SQLite writer gave for free. Two nodes committing the same provider event id at the
// same moment make one event and both answer with its id, also when their batches hold the same
// keys in opposite orders; a session revoked through one node is refused by the other; a source
// written through one is read as written by the other.
#include <gtest/gtest.h>

#include <barrier>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/random.h"
#include "storage/pg/pg_event_store.h"
#include "storage/pg/pg_session_store.h"
#include "storage/pg/pg_source_store.h"
#include "tests/testing/store_engines.h"
#include "web/sessions.h"

namespace hookd::testing {
namespace {

class PgStoresNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    other_pool_ = engine_.NewPool();
  }

  int64_t Count(const std::string& sql) { return std::stoll(engine_.Text(sql)); }

  PgEngine engine_;
  std::unique_ptr<PgPool> other_pool_;  // the second node's
};

Event MakeEvent(const std::string& id, const std::string& key) {
  Event e;
  e.id = id;
  e.source_id = "src_1";
  e.provider = "stripe";
  e.provider_event_id = key;
  e.type = "invoice.paid";
  e.headers_json = "{}";
  e.body = "{}";
  e.received_at = 1'700'000'000'000;
  return e;
}

TEST_F(PgStoresNodesTest, TwoNodesCommittingOneProviderEventIdMakeOneEvent) {
  PgEventStore node_a(engine_.pool());
  PgEventStore node_b(*other_pool_);
  constexpr int kRounds = 200;
  std::vector<Result<std::vector<IngestOutcome>>> out_a(kRounds, Status::Internal("not run"));
  std::vector<Result<std::vector<IngestOutcome>>> out_b(kRounds, Status::Internal("not run"));
  std::barrier start(2);  // each round's two commits leave together
  auto run = [&](PgEventStore& store, const char* node, auto& out) {
    for (int r = 0; r < kRounds; ++r) {
      std::string id = "evt_";
      id += node;
      id += std::to_string(r);
      start.arrive_and_wait();
      out[r] = store.CommitBatch({MakeEvent(id, "key" + std::to_string(r))});
    }
  };
  std::thread a([&] { run(node_a, "a", out_a); });
  std::thread b([&] { run(node_b, "b", out_b); });
  a.join();
  b.join();

  int won_a = 0;
  for (int r = 0; r < kRounds; ++r) {
    SCOPED_TRACE(r);
    ASSERT_TRUE(out_a[r].ok()) << out_a[r].status().ToString();
    ASSERT_TRUE(out_b[r].ok()) << out_b[r].status().ToString();
    const IngestOutcome& oa = out_a[r]->at(0);
    const IngestOutcome& ob = out_b[r]->at(0);
    EXPECT_EQ(oa.id, ob.id);
    EXPECT_NE(oa.duplicate, ob.duplicate);  // exactly one of them inserted it
    if (!oa.duplicate) ++won_a;
    const std::string key = "key" + std::to_string(r);
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE provider_event_id = '" + key +
                    "' AND id = '" + oa.id + "'"),
              1);
  }
  EXPECT_EQ(Count("SELECT count(*) FROM events"), kRounds);
  EXPECT_EQ(Count("SELECT count(*) FROM status_log WHERE type = 'event.received'"), kRounds);
  // The seqs have no gap: the losers' transactions appended nothing.
  EXPECT_EQ(Count("SELECT max(seq) FROM status_log"), kRounds);
  RecordProperty("rounds_won_by_a", won_a);
}

TEST_F(PgStoresNodesTest, BatchesWithTheSameKeysInOppositeOrdersBothSucceed) {
  PgEventStore node_a(engine_.pool());
  PgEventStore node_b(*other_pool_);
  constexpr int kRounds = 30, kKeys = 20;
  std::vector<Result<std::vector<IngestOutcome>>> out_a(kRounds, Status::Internal("not run"));
  std::vector<Result<std::vector<IngestOutcome>>> out_b(kRounds, Status::Internal("not run"));
  std::barrier start(2);
  auto run = [&](PgEventStore& store, const char* node, bool reversed, auto& out) {
    for (int r = 0; r < kRounds; ++r) {
      std::vector<Event> batch;
      for (int k = 0; k < kKeys; ++k) {
        const int key = reversed ? kKeys - 1 - k : k;
        std::string id = "evt_";
        id += node;
        id += std::to_string(r) + "_" + std::to_string(key);
        batch.push_back(MakeEvent(id, std::to_string(r) + "/" + std::to_string(key)));
      }
      start.arrive_and_wait();
      out[r] = store.CommitBatch(batch);
    }
  };
  std::thread a([&] { run(node_a, "a", false, out_a); });
  std::thread b([&] { run(node_b, "b", true, out_b); });
  a.join();
  b.join();

  for (int r = 0; r < kRounds; ++r) {
    SCOPED_TRACE(r);
    ASSERT_TRUE(out_a[r].ok()) << out_a[r].status().ToString();
    ASSERT_TRUE(out_b[r].ok()) << out_b[r].status().ToString();
    ASSERT_EQ(out_a[r]->size(), size_t{kKeys});
    ASSERT_EQ(out_b[r]->size(), size_t{kKeys});
    for (int k = 0; k < kKeys; ++k) {
      const IngestOutcome& oa = (*out_a[r])[k];
      const IngestOutcome& ob = (*out_b[r])[kKeys - 1 - k];  // the same key
      EXPECT_EQ(oa.id, ob.id) << k;
      EXPECT_NE(oa.duplicate, ob.duplicate) << k;
    }
  }
  EXPECT_EQ(Count("SELECT count(*) FROM events"), kRounds * kKeys);
  EXPECT_EQ(Count("SELECT count(*) FROM status_log"), kRounds * kKeys);
}

TEST_F(PgStoresNodesTest, ASessionRevokedOnOneNodeIsRefusedByTheOther) {
  PgSessionStore store_a(engine_.pool());
  PgSessionStore store_b(*other_pool_);
  FakeClock clock(1'700'000'000'000);
  SecureRandom random;
  const std::string fingerprint = Sessions::TokenFingerprint("token");
  Sessions node_a(store_a, clock, random, fingerprint);
  Sessions node_b(store_b, clock, random, fingerprint);

  auto created = node_a.Create();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(node_b.Validate(created->value).ok());
  ASSERT_TRUE(node_a.Revoke(created->value).ok());

  // The store answers at once: the row is gone for every node.
  auto row = store_b.Get(HexEncode(Sha256(created->value)));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_FALSE(row->has_value());
  // A node that had not seen the session refuses it at once.
  Sessions node_c(store_b, clock, random, fingerprint);
  EXPECT_EQ(node_c.Validate(created->value).kind(), ErrorKind::kUnauthenticated);
  // One that had seen it refuses it once its memory of the session is older than cache_ttl.
  clock.Advance(node_b.options().cache_ttl + std::chrono::milliseconds(1));
  EXPECT_EQ(node_b.Validate(created->value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(PgStoresNodesTest, ASourceWrittenOnOneNodeIsReadAsWrittenByTheOther) {
  PgSourceStore node_a(engine_.pool());
  PgSourceStore node_b(*other_pool_);
  Source s;
  s.id = "src_1";
  s.name = "one";
  s.provider = "github";
  s.secret = "secret-1";
  ASSERT_TRUE(node_a.Insert(s).ok());
  auto got = node_b.Get("src_1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->secret, "secret-1");
  s.secret = "secret-2";
  s.previous_secrets = {{"secret-1", 5000}};
  ASSERT_TRUE(node_b.Update(s).ok());
  got = node_a.Get("src_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->secret, "secret-2");
  EXPECT_EQ(got->previous_secrets, s.previous_secrets);
  ASSERT_TRUE(node_a.Delete("src_1").ok());
  EXPECT_EQ(node_b.Get("src_1").status().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace hookd::testing
