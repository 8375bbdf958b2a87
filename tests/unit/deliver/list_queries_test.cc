// The message and delivery list statements (deliver/list_queries.h) against hookd's schema: each
// filter is answered from an index (SQLite's query plan), the rows are exactly the matching ones
// newest first, the `after` cursor continues below its row, and a status that is not one of the
// four words is refused before it reaches SQL.
#include "deliver/list_queries.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/db.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

class ListQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    // Messages m1..m4 (m1 and m3 of type a.x, m2 made from event evt_2); deliveries d1..d6.
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO messages (id, event_type, event_id, created_at) VALUES"
                           " ('m1', 'a.x', NULL, 1), ('m2', 'b.y', 'evt_2', 2),"
                           " ('m3', 'a.x', NULL, 3), ('m4', 'c.z', NULL, 4)")
                    .ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO deliveries (id, message_id, endpoint_id, status,"
                           " next_attempt_at, created_at, updated_at) VALUES"
                           " ('d1', 'm1', 'ep_a', 'failed', NULL, 1, 1),"
                           " ('d2', 'm1', 'ep_b', 'succeeded', NULL, 1, 1),"
                           " ('d3', 'm2', 'ep_a', 'retrying', 50, 2, 2),"
                           " ('d4', 'm3', 'ep_b', 'failed', NULL, 3, 3),"
                           " ('d5', 'm3', 'ep_a', 'failed', NULL, 3, 3),"
                           " ('d6', 'm4', 'ep_a', 'pending', 10, 4, 4)")
                    .ok());
    // m4 and its delivery belong to another application; the rest to the default one.
    ASSERT_TRUE((*db)
                    ->Exec("UPDATE messages SET app_id = 'app_b' WHERE id = 'm4';"
                           "UPDATE deliveries SET app_id = 'app_b' WHERE id = 'd6'")
                    .ok());
  }

  // The ids the statement returns (limit 100).
  std::vector<std::string> Ids(const ListQuery& q) {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare(q.sql);
    EXPECT_TRUE(st.ok()) << st.status().message() << "\n" << q.sql;
    if (!st.ok()) return {};
    int i = 1;
    for (const std::string& p : q.params) st->Bind(i++, p);
    st->Bind(i, int64_t{100});
    std::vector<std::string> ids;
    while (true) {
      auto row = st->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      ids.push_back(st->Text(0));
    }
    return ids;
  }

  // SQLite's plan for the statement, one detail line per step.
  std::string Plan(const ListQuery& q) {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare("EXPLAIN QUERY PLAN " + q.sql);
    EXPECT_TRUE(st.ok()) << st.status().message();
    if (!st.ok()) return "";
    std::string plan;
    while (true) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      plan += st->Text(3) + "\n";
    }
    return plan;
  }

  ListQuery Deliveries(const DeliveryFilter& f, const std::optional<std::string>& after = {}) {
    auto q = DeliveriesQuery("d.id", f, after);
    EXPECT_TRUE(q.ok()) << q.status().message();
    return q.ok() ? *q : ListQuery{};
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
};

using IdList = std::vector<std::string>;

TEST_F(ListQueriesTest, MessagesMatchEveryFilterNewestFirst) {
  EXPECT_EQ(Ids(MessagesQuery("id", {}, {})), (IdList{"m4", "m3", "m2", "m1"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {"a.x", {}, {}}, {})), (IdList{"m3", "m1"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {{}, "evt_2", {}}, {})), (IdList{"m2"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {"a.x", "evt_2", {}}, {})), IdList{});
  EXPECT_EQ(Ids(MessagesQuery("id", {"a.x", {}, {}}, "m3")), (IdList{"m1"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {}, "m2")), (IdList{"m1"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {"nope", {}, {}}, {})), IdList{});
  EXPECT_EQ(Ids(MessagesQuery("id", {}, "msg_unknown")), IdList{});
  EXPECT_EQ(Ids(MessagesQuery("id", {{}, {}, "app_b"}, {})), (IdList{"m4"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {{}, {}, "app_default"}, {})), (IdList{"m3", "m2", "m1"}));
  EXPECT_EQ(Ids(MessagesQuery("id", {"a.x", {}, "app_b"}, {})), IdList{});
}

TEST_F(ListQueriesTest, MessageFiltersUseTheirIndexes) {
  EXPECT_NE(Plan(MessagesQuery("id", {"a.x", {}, {}}, "m3")).find("USING INDEX messages_type"),
            std::string::npos);
  EXPECT_NE(Plan(MessagesQuery("id", {{}, {}, "app_b"}, "m3")).find("USING INDEX messages_app"),
            std::string::npos);
  EXPECT_NE(Plan(MessagesQuery("id", {{}, "evt_2", {}}, {})).find("USING INDEX messages_event"),
            std::string::npos);
  // Newest first by the primary key, not sorted afterwards.
  EXPECT_EQ(Plan(MessagesQuery("id", {"a.x", {}, {}}, {})).find("TEMP B-TREE"), std::string::npos);
}

TEST_F(ListQueriesTest, DeliveriesMatchEveryFilterNewestFirst) {
  EXPECT_EQ(Ids(Deliveries({})), (IdList{"d6", "d5", "d4", "d3", "d2", "d1"}));
  EXPECT_EQ(Ids(Deliveries({"failed", {}, {}, {}})), (IdList{"d5", "d4", "d1"}));
  EXPECT_EQ(Ids(Deliveries({"failed", "ep_a", {}, {}})), (IdList{"d5", "d1"}));
  EXPECT_EQ(Ids(Deliveries({"failed", {}, {}, {}}, "d5")), (IdList{"d4", "d1"}));
  EXPECT_EQ(Ids(Deliveries({"failed", "ep_a", {}, {}}, "d5")), (IdList{"d1"}));
  EXPECT_EQ(Ids(Deliveries({"failed", {}, "m3", {}})), (IdList{"d5", "d4"}));
  EXPECT_EQ(Ids(Deliveries({"retrying", {}, {}, {}})), (IdList{"d3"}));
  EXPECT_EQ(Ids(Deliveries({"pending", {}, {}, {}})), (IdList{"d6"}));
  EXPECT_EQ(Ids(Deliveries({"pending", "ep_b", {}, {}})), IdList{});
  EXPECT_EQ(Ids(Deliveries({"succeeded", {}, {}, {}})), (IdList{"d2"}));
  EXPECT_EQ(Ids(Deliveries({{}, "ep_b", {}, {}})), (IdList{"d4", "d2"}));
  EXPECT_EQ(Ids(Deliveries({{}, "ep_a", "m1", {}})), (IdList{"d1"}));
  EXPECT_EQ(Ids(Deliveries({{}, {}, "m3", {}}, "d5")), (IdList{"d4"}));
  EXPECT_EQ(Ids(Deliveries({{}, {}, {}, "app_b"})), (IdList{"d6"}));
  EXPECT_EQ(Ids(Deliveries({"pending", "ep_a", {}, "app_b"})), (IdList{"d6"}));
  EXPECT_EQ(Ids(Deliveries({"failed", {}, {}, "app_b"})), IdList{});
  EXPECT_EQ(Ids(Deliveries({"failed", {}, {}, "app_default"})), (IdList{"d5", "d4", "d1"}));
  EXPECT_EQ(Ids(Deliveries({"failed", "ep_a", {}, "app_default"}, "d5")), (IdList{"d1"}));
  EXPECT_EQ(Ids(Deliveries({{}, "ep_a", {}, "app_default"})), (IdList{"d5", "d3", "d1"}));
}

TEST_F(ListQueriesTest, DeliveryFiltersUseTheirIndexes) {
  const auto uses = [&](const DeliveryFilter& f, const std::string& index) {
    const std::string plan = Plan(Deliveries(f, "d5"));
    EXPECT_NE(plan.find("INDEX " + index), std::string::npos) << plan;
  };
  uses({"failed", {}, {}, {}}, "deliveries_failed");
  uses({"failed", "ep_a", {}, {}}, "deliveries_failed");
  uses({"retrying", {}, {}, {}}, "deliveries_due");
  uses({"pending", "ep_a", {}, {}}, "deliveries_due");
  uses({{}, "ep_a", {}, {}}, "deliveries_endpoint");
  uses({"failed", "ep_a", "m3", {}}, "deliveries_message");
  uses({{}, {}, "m3", {}}, "deliveries_message");
  uses({{}, {}, {}, "app_b"}, "deliveries_app");
  uses({"failed", {}, {}, "app_b"}, "deliveries_app_failed");
  uses({"failed", "ep_a", {}, "app_default"}, "deliveries_app_failed");
}

TEST_F(ListQueriesTest, AStatusOtherThanTheFourWordsIsRefused) {
  for (const std::string bad : {"", "FAILED", "done", "failed' OR 1=1 --", "failed "}) {
    auto q = DeliveriesQuery("d.id", {bad, {}, {}, {}}, {});
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.status().code(), "invalid_field");
  }
}

}  // namespace
}  // namespace hookd
