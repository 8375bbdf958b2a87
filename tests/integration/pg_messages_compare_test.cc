// Messages on PostgreSQL against SQLite: one script published on both engines, each with the same
// clock and seed, gives the same answers, reads and rows (MessagesOnBothEnginesTest); and a batch
// on PostgreSQL answers each item as SQLite's writer answers a group commit (PgMessageBatchTest).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "deliver/message_request.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_message_store.h"
#include "tests/testing/message_fixtures.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

using json = nlohmann::json;

// One script published on both engines, each with the same clock and seed: every answer, every
// read and every row (messages, deliveries, event types, message.created entries) is the same.
class MessagesOnBothEnginesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = sqlite_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = pg_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    Seed(sqlite_);
    Seed(pg_);
    on_sqlite_ = sqlite_.MakeMessages(sqlite_clock_, sqlite_random_);
    on_pg_ = pg_.MakeMessages(pg_clock_, pg_random_);
  }

  static std::string Shown(const Result<json>& r) {
    if (r.ok()) return r->dump();
    std::string s = r.status().code();
    s += ' ';
    s += std::to_string(static_cast<int>(r.status().kind()));
    s += ' ';
    s += r.status().message();
    return s;
  }

  SqliteEngine sqlite_;
  PgEngine pg_;
  FakeClock sqlite_clock_{kNow};
  FakeClock pg_clock_{kNow};
  SeededRandom sqlite_random_{3};
  SeededRandom pg_random_{3};
  std::unique_ptr<MessagesUnderTest> on_sqlite_;
  std::unique_ptr<MessagesUnderTest> on_pg_;
};

TEST_F(MessagesOnBothEnginesTest, TheSameInputsGiveTheSameAnswersReadsAndRows) {
  struct Step {
    json req;
    std::optional<std::string> key;
    std::string app;
    int64_t advance_ms = 1;
  };
  const std::vector<Step> script = {
      {Order(1), std::nullopt, "app_a"},
      {Order(2), "k1", "app_a"},
      {Order(2), "k1", "app_a"},  // the first answer
      {Order(3), "k1", "app_a"},  // reused
      {{{"event_type", "user.created"}, {"payload", "text"}}, "k2", "app_a"},
      {{{"event_type", "order.paid"},
        {"payload", {{"z", 1}, {"a", {1, 2}}}},
        {"source_id", "src_0123456789ABCDEFGHJKMNPQRS"}},
       std::nullopt,
       "app_a"},
      {Order(4), "k1", "app_b"},
      {Order(5), std::nullopt, "app_gone"},
      {Order(6), "k9", "app_none"},
      {{{"event_type", "bad type"}, {"payload", 1}}, std::nullopt, "app_a"},
      {Order(7), "k1", "app_a", kDayMs},  // after the window: a new message under k1
      {Order(7), "k1", "app_a"},
  };
  std::vector<std::string> ids;
  for (const Step& step : script) {
    sqlite_clock_.Advance(std::chrono::milliseconds(step.advance_ms));
    pg_clock_.Advance(std::chrono::milliseconds(step.advance_ms));
    auto a = on_sqlite_->Publish(step.req, step.key, step.app);
    auto b = on_pg_->Publish(step.req, step.key, step.app);
    EXPECT_EQ(Shown(a), Shown(b)) << step.req.dump();
    if (a.ok()) ids.push_back((*a)["id"]);
  }
  ASSERT_EQ(ids.size(), 8u);
  for (const std::string& id : ids) {
    EXPECT_EQ(Shown(on_sqlite_->Get(id)), Shown(on_pg_->Get(id)));
    EXPECT_EQ(Shown(on_sqlite_->Get(id, "app_b")), Shown(on_pg_->Get(id, "app_b")));
  }
  EXPECT_EQ(Shown(on_sqlite_->List({}, std::nullopt, 3)), Shown(on_pg_->List({}, std::nullopt, 3)));
  EXPECT_EQ(Shown(on_sqlite_->List({}, ids[3], 100)), Shown(on_pg_->List({}, ids[3], 100)));
  auto deliveries = on_sqlite_->ListDeliveries({}, std::nullopt, 100);
  EXPECT_EQ(Shown(deliveries), Shown(on_pg_->ListDeliveries({}, std::nullopt, 100)));
  ASSERT_TRUE(deliveries.ok());
  for (const json& d : (*deliveries)["data"]) {
    const std::string id = d["id"];
    EXPECT_EQ(Shown(on_sqlite_->GetDelivery(id)), Shown(on_pg_->GetDelivery(id)));
  }

  const std::string messages =
      ", idempotency_key, request_hash, response, created_at, app_id FROM messages ORDER BY seq";
  EXPECT_EQ(sqlite_.Rows(
                "SELECT id, event_type, source_id, event_id, CAST(payload AS TEXT)" + messages, 10),
            pg_.Rows("SELECT id, event_type, source_id, event_id, convert_from(payload, 'UTF8')" +
                         messages,
                     10));
  const std::string deliveries_sql =
      "SELECT id, message_id, endpoint_id, status, attempts, next_attempt_at, last_status,"
      " last_error, created_at, updated_at, app_id, lease_until, manual_return_status"
      " FROM deliveries"
      " ORDER BY seq";
  EXPECT_EQ(sqlite_.Rows(deliveries_sql, 13), pg_.Rows(deliveries_sql, 13));
  EXPECT_EQ(sqlite_.Rows("SELECT app_id, event_type, count, last_seen FROM event_types"
                         " ORDER BY app_id, event_type",
                         4),
            pg_.Rows("SELECT app_id, event_type, count, last_seen FROM event_types"
                     " ORDER BY app_id COLLATE \"C\", event_type COLLATE \"C\"",
                     4));
  const std::string entries =
      "SELECT type, at, data FROM status_log WHERE type LIKE 'message.%' ORDER BY seq";
  EXPECT_EQ(sqlite_.Rows(entries, 3), pg_.Rows(entries, 3));
  EXPECT_EQ(std::stoll(pg_.Text("SELECT COUNT(*) FROM messages")), 6);
}

// A batch on PostgreSQL answers each item as SQLite's writer answers a group commit: a key's
// duplicate later in the batch gets the first copy's answer, another request under it is refused,
// an item of an unknown or deleted application is refused alone, and a refused item writes
// nothing while the others are stored.
TEST(PgMessageBatchTest, ABatchAnswersEachItemAloneAndWritesOnlyWhatItAccepted) {
  if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
  PgEngine engine;
  Status s = engine.SetUp();
  ASSERT_TRUE(s.ok()) << s.ToString();
  Seed(engine);
  FakeClock clock{kNow};
  SeededRandom random{5};
  PgEndpointStore endpoints(engine.pool());
  auto all = endpoints.All();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  const EndpointSnapshot snapshot(std::move(all).value());
  auto prepare = [&](const json& req, const std::optional<std::string>& key,
                     const std::string& app) {
    auto m = PrepareMessage(req, key, app, clock, random);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : NewMessage{};
  };
  std::vector<NewMessage> batch{
      prepare(Order(1), "k2", "app_a"),     // 0: new
      prepare(Order(2), "k1", "app_a"),     // 1: new
      prepare(Order(2), "k1", "app_a"),     // 2: 1's answer
      prepare(Order(3), "k1", "app_a"),     // 3: reused
      prepare(Order(4), "k1", "app_gone"),  // 4: deleted application
      prepare(Order(5), std::nullopt, "app_b"),
      prepare(Order(6), "k1", "app_none"),  // 6: unknown application
  };
  PgMessageStore store(engine.pool(), clock, random);
  int deliveries = 0;
  auto out = store.Commit(batch, snapshot, deliveries);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), batch.size());
  for (size_t i : {0, 1, 2, 5}) {
    ASSERT_TRUE((*out)[i].ok()) << i << ": " << (*out)[i].status().ToString();
  }
  EXPECT_EQ((*(*out)[0])["id"], batch[0].id);
  EXPECT_EQ((*(*out)[1])["id"], batch[1].id);
  EXPECT_EQ(*(*out)[2], *(*out)[1]);
  EXPECT_EQ((*(*out)[5])["deliveries"], 1);
  EXPECT_EQ((*out)[3].status().code(), "idempotency_key_reused");
  EXPECT_EQ((*out)[4].status().message(), "no application app_gone");
  EXPECT_EQ((*out)[6].status().message(), "no application app_none");
  EXPECT_EQ(deliveries, 5);
  EXPECT_EQ(engine.Rows("SELECT id FROM messages ORDER BY seq", 1),
            batch[1].id + "\n" + batch[0].id + "\n" + batch[5].id + "\n");  // in key order
  EXPECT_EQ(engine.Text("SELECT COUNT(*) FROM deliveries"), "5");
  EXPECT_EQ(engine.Rows("SELECT app_id, count FROM event_types ORDER BY app_id", 2),
            "app_a|2\napp_b|1\n");
  // The entries in batch order.
  const std::string entries = engine.Rows(
      "SELECT data::json->>'message_id' FROM status_log WHERE type = 'message.created'"
      " ORDER BY seq",
      1);
  EXPECT_EQ(entries, batch[0].id + "\n" + batch[1].id + "\n" + batch[5].id + "\n");
}

}  // namespace
}  // namespace hookd::testing
