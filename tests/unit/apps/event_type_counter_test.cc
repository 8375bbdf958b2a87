// EventTypeCounter (apps/event_type_counter.h): the messages made since the last pass are added
// to event_types per (application, type), batch by batch, with the mark moved in the same
// transaction; nothing is counted twice; a deleted application's messages are not counted.
#include "apps/event_type_counter.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

class EventTypeCounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at) VALUES"
        " ('app_a', 'a', 'A', 0, 0, NULL), ('app_gone', 'gone', 'Gone', 0, 0, 5)");
    auto db = Db::Open(dir_.path() + "/hookd.db", DbOptions{});
    ASSERT_TRUE(db.ok());
    counter_ = std::make_unique<EventTypeCounter>(std::move(db).value(), std::chrono::seconds(1), 3,
                                                  Logger::Discard());
  }
  void Exec(const std::string& sql) {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }
  void Publish(const std::string& app, const std::string& type, int64_t at) {
    Exec("INSERT INTO messages (id, app_id, event_type, payload, created_at) VALUES ('msg_" +
         std::to_string(++n_) + "', '" + app + "', '" + type + "', '{}', " + std::to_string(at) +
         ")");
  }
  // "count last_seen" of (app, type), or "" when it has no row.
  std::string Seen(const std::string& app, const std::string& type) {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare("SELECT count, last_seen FROM event_types WHERE app_id = '" + app +
                             "' AND event_type = '" + type + "'");
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    return row.ok() && *row ? std::to_string(st->Int(0)) + " " + std::to_string(st->Int(1)) : "";
  }
  int64_t Mark() {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare("SELECT message_seq FROM event_types_progress");
    EXPECT_TRUE(st.ok() && *st->Step());
    return st->Int(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
  std::unique_ptr<EventTypeCounter> counter_;
  int n_ = 0;
};

TEST_F(EventTypeCounterTest, CountsNewMessagesOncePerApplicationAndTypeInBatches) {
  Publish("app_a", "order.created", 30);
  Publish("app_a", "order.created", 10);
  Publish("app_a", "order.paid", 20);
  Publish("app_default", "order.created", 5);
  Publish("app_gone", "order.created", 40);  // a deleted application's: not counted
  EventTypeCount c = counter_->RunOnce();    // 5 messages in batches of 3: two transactions
  ASSERT_TRUE(c.status.ok()) << c.status.message();
  EXPECT_EQ(c.messages, 5);
  EXPECT_EQ(Seen("app_a", "order.created"), "2 30") << "the latest time, not the last counted";
  EXPECT_EQ(Seen("app_a", "order.paid"), "1 20");
  EXPECT_EQ(Seen("app_default", "order.created"), "1 5");
  EXPECT_EQ(Seen("app_gone", "order.created"), "");
  EXPECT_EQ(Mark(), 5);

  // Nothing new: nothing counted again.
  c = counter_->RunOnce();
  EXPECT_EQ(c.messages, 0);
  EXPECT_EQ(Seen("app_a", "order.created"), "2 30");
  // New messages add to what is there.
  Publish("app_a", "order.created", 25);
  c = counter_->RunOnce();
  EXPECT_EQ(c.messages, 1);
  EXPECT_EQ(Seen("app_a", "order.created"), "3 30");
  EXPECT_EQ(Mark(), 6);
}

TEST_F(EventTypeCounterTest, ItsThreadCountsWithinAnInterval) {
  auto db = Db::Open(dir_.path() + "/hookd.db", DbOptions{});
  ASSERT_TRUE(db.ok());
  EventTypeCounter fast(std::move(db).value(), std::chrono::milliseconds(20), 100,
                        Logger::Discard());
  fast.Start();
  Publish("app_a", "order.created", 1);
  std::string seen;
  for (int i = 0; i < 200 && seen.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = Seen("app_a", "order.created");
  }
  fast.Stop();
  EXPECT_EQ(seen, "1 1");
}

}  // namespace
}  // namespace hookd
