// The event types seen on both engines (EventTypeRepository: SqliteEventTypeStore on SQLite,
// PgEventTypeStore on PostgreSQL): one application's and every application's together (counts
// added, the latest last_seen), in byte order of the type, paged by type with limit + 1 rows, and
// the routes' JSON over either. On PostgreSQL, Record counts one more and never moves last_seen
// back, and two nodes recording one type at once count every record.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apps/event_types.h"
#include "common/time_format.h"
#include "storage/pg/pg_event_type_store.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

template <typename Engine>
class EventTypeStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = this->engine_.MakeEventTypeStore();
    // Types whose byte order differs from a dictionary's: upper case before lower, '.' before '_'.
    Status s = this->engine_.Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at)"
        " VALUES ('app_a', 'a', 'A', 0, 0), ('app_b', 'b', 'B', 0, 0);"
        "INSERT INTO event_types (app_id, event_type, count, last_seen) VALUES"
        " ('app_a', 'order.created', 2, 1000), ('app_a', 'Zebra.seen', 1, 500),"
        " ('app_a', 'order_created', 4, 700), ('app_b', 'order.created', 3, 2000),"
        " ('app_b', 'invoice.paid', 1, 300), ('app_default', 'Zebra.seen', 5, 100)");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<std::string> Types(const std::optional<std::string>& app_id,
                                 const std::optional<std::string>& after, int limit = 50) {
    auto rows = store_->List(app_id, after, limit);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (rows.ok())
      for (const auto& t : *rows) out.push_back(t.event_type);
    return out;
  }

  std::unique_ptr<EventTypeRepository> store_;
};

TYPED_TEST_SUITE(EventTypeStoreTest, StoreEngines, EngineName);

TYPED_TEST(EventTypeStoreTest, OneApplicationsInByteOrder) {
  auto rows = this->store_->List(std::string("app_a"), std::nullopt, 50);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].event_type, "Zebra.seen");
  EXPECT_EQ((*rows)[0].count, 1);
  EXPECT_EQ((*rows)[0].last_seen, 500);
  EXPECT_EQ((*rows)[1].event_type, "order.created");
  EXPECT_EQ((*rows)[1].count, 2);
  EXPECT_EQ((*rows)[2].event_type, "order_created");
  EXPECT_EQ((*rows)[2].count, 4);
  EXPECT_EQ((*rows)[2].last_seen, 700);
  EXPECT_EQ(this->Types(std::string("app_b"), std::nullopt),
            (std::vector<std::string>{"invoice.paid", "order.created"}));
  // An application with none, or none at all: an empty list.
  EXPECT_TRUE(this->Types(std::string("app_nope"), std::nullopt).empty());
}

TYPED_TEST(EventTypeStoreTest, EveryApplicationsAddedUp) {
  auto rows = this->store_->List(std::nullopt, std::nullopt, 50);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].event_type, "Zebra.seen");
  EXPECT_EQ((*rows)[0].count, 6);
  EXPECT_EQ((*rows)[0].last_seen, 500);
  EXPECT_EQ((*rows)[1].event_type, "invoice.paid");
  EXPECT_EQ((*rows)[2].event_type, "order.created");
  EXPECT_EQ((*rows)[2].count, 5);
  EXPECT_EQ((*rows)[2].last_seen, 2000);
  EXPECT_EQ((*rows)[3].event_type, "order_created");
}

TYPED_TEST(EventTypeStoreTest, PagesByTypeWithLimitPlusOneRows) {
  // limit + 1 rows, the last telling there are more.
  EXPECT_EQ(this->Types(std::nullopt, std::nullopt, 2),
            (std::vector<std::string>{"Zebra.seen", "invoice.paid", "order.created"}));
  EXPECT_EQ(this->Types(std::nullopt, std::string("invoice.paid"), 2),
            (std::vector<std::string>{"order.created", "order_created"}));
  EXPECT_EQ(this->Types(std::string("app_a"), std::string("Zebra.seen"), 1),
            (std::vector<std::string>{"order.created", "order_created"}));
  // The cursor is a type, not necessarily one that exists; it compares as bytes.
  EXPECT_EQ(this->Types(std::string("app_a"), std::string("a"), 5),
            (std::vector<std::string>{"order.created", "order_created"}));
  EXPECT_EQ(this->Types(std::string("app_a"), std::string("order."), 5),
            (std::vector<std::string>{"order.created", "order_created"}));
  EXPECT_EQ(this->Types(std::nullopt, std::string("order.created"), 5),
            (std::vector<std::string>{"order_created"}));
  EXPECT_TRUE(this->Types(std::nullopt, std::string("order_created"), 5).empty());
  EXPECT_TRUE(this->Types(std::nullopt, std::string("zzz"), 5).empty());
}

TYPED_TEST(EventTypeStoreTest, TheRoutesJsonOverEitherEngine) {
  auto page = ListEventTypes(*this->store_, std::nullopt, std::nullopt, 3);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ((*page)["data"].size(), 3u);
  EXPECT_EQ((*page)["data"][0]["event_type"], "Zebra.seen");
  EXPECT_EQ((*page)["data"][0]["count"], 6);
  EXPECT_EQ((*page)["data"][0]["last_seen"], FormatRfc3339(500));
  EXPECT_EQ((*page)["next"], "order.created");
  auto rest = ListEventTypes(*this->store_, std::nullopt, std::string("order.created"), 3);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ((*rest)["data"].size(), 1u);
  EXPECT_EQ((*rest)["data"][0]["event_type"], "order_created");
  EXPECT_TRUE((*rest)["next"].is_null());
  auto one = ListEventTypes(*this->store_, std::string("app_b"), std::nullopt, 2);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)["data"].size(), 2u);
  EXPECT_TRUE((*one)["next"].is_null());
}

class PgEventTypeRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgEngine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
    store_ = std::make_unique<PgEventTypeStore>(engine_.pool());
  }

  Status Record(PgPool& pool, const std::string& app_id, const std::string& type, int64_t at) {
    auto conn = pool.Acquire();
    if (!conn.ok()) return conn.status();
    return PgEventTypeStore::Record(**conn, app_id, type, at);
  }

  PgEngine engine_;
  std::unique_ptr<PgEventTypeStore> store_;
};

TEST_F(PgEventTypeRecordTest, RecordCountsOneMoreAndKeepsTheLatestLastSeen) {
  ASSERT_TRUE(Record(engine_.pool(), "app_default", "order.created", 1000).ok());
  ASSERT_TRUE(Record(engine_.pool(), "app_default", "order.created", 3000).ok());
  ASSERT_TRUE(Record(engine_.pool(), "app_default", "order.created", 2000).ok());  // late
  ASSERT_TRUE(Record(engine_.pool(), "app_default", "user.deleted", 10).ok());
  auto rows = store_->List(std::string("app_default"), std::nullopt, 10);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].event_type, "order.created");
  EXPECT_EQ((*rows)[0].count, 3);
  EXPECT_EQ((*rows)[0].last_seen, 3000);
  EXPECT_EQ((*rows)[1].count, 1);
  // Inside a transaction that rolls back, nothing is recorded.
  {
    auto conn = engine_.pool().Acquire();
    ASSERT_TRUE(conn.ok());
    auto txn = PgTransaction::Begin(**conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(PgEventTypeStore::Record(**conn, "app_default", "order.created", 9000).ok());
    ASSERT_TRUE((*txn)->Rollback().ok());
  }
  EXPECT_EQ(engine_.Text("SELECT count FROM event_types WHERE event_type = 'order.created'"), "3");
  // Only for an application that exists (the foreign key).
  EXPECT_FALSE(Record(engine_.pool(), "app_nope", "x", 1).ok());
}

TEST_F(PgEventTypeRecordTest, TwoNodesRecordingOneTypeAtOnceCountEveryRecord) {
  auto other_pool = engine_.NewPool();
  constexpr int kEach = 200;
  std::atomic<int> ready{0};
  std::atomic<int> failures{0};
  auto node = [&](PgPool& pool, int64_t base) {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    for (int i = 0; i < kEach; ++i)
      if (!Record(pool, "app_default", "order.created", base + i).ok()) failures.fetch_add(1);
  };
  std::thread a([&] { node(engine_.pool(), 1000); });
  std::thread b([&] { node(*other_pool, 5000); });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = store_->List(std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].count, 2 * kEach);
  EXPECT_EQ((*rows)[0].last_seen, 5000 + kEach - 1);
}

}  // namespace
}  // namespace hookd::testing
