// AppReaper (apps/app_reaper.h): a deleted application's messages, deliveries, attempts,
// sources, tokens, event types and row are removed, batch by batch; a live application's rows
// are left alone.
#include "apps/app_reaper.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/memory_log_sink.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

class AppReaperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::MigratedPool(dir_.path() + "/hookd.db");
    Exec(
        "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at) VALUES"
        " ('app_gone', 'gone', 'Gone', 0, 0, 5), ('app_live', 'live', 'Live', 0, 0, NULL)");
    for (const std::string app : {"app_gone", "app_live"}) {
      Exec(
          "INSERT INTO sources (id, app_id, name, provider, secret, created_at, updated_at)"
          " VALUES ('src_" +
          app + "', '" + app + "', 's', 'github', 'x', 0, 0)");
      Exec("INSERT INTO app_tokens (id, app_id, token_hash, created_at) VALUES ('tok_" + app +
           "', '" + app + "', 'h_" + app + "', 0)");
      Exec("INSERT INTO event_types VALUES ('" + app + "', 'a.b', 3, 0)");
      for (int i = 0; i < 5; ++i) {
        const std::string n = app + std::to_string(i);
        Exec("INSERT INTO messages (id, app_id, event_type, payload, created_at) VALUES ('msg_" +
             n + "', '" + app + "', 'a.b', '{}', 0)");
        Exec(
            "INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, created_at,"
            " updated_at) VALUES ('dlv_" +
            n + "', '" + app + "', 'msg_" + n + "', 'ep_x', 'failed', 0, 0)");
        Exec(
            "INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms) VALUES"
            " ('att_" +
            n + "', 'dlv_" + n + "', 1, 0, 1)");
      }
    }
  }
  void Exec(const std::string& sql) {
    auto db = db_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }
  int64_t Count(const std::string& sql) {
    auto db = db_->Acquire();
    auto st = (*db)->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    if (!st.ok() || !*st->Step()) return -1;
    return st->Int(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> db_;
  testing::MemoryLogSink sink_;
  FakeClock clock_{0};
  Logger logger_{sink_, clock_, LogLevel::kInfo, LogFormat::kJson};
};

TEST_F(AppReaperTest, ADeletedApplicationsRowsGoAndALiveOnesStay) {
  auto db = Db::Open(dir_.path() + "/hookd.db", DbOptions{});
  ASSERT_TRUE(db.ok());
  AppReaper reaper(std::move(db).value(), std::chrono::seconds(60), /*batch_messages=*/2, logger_);
  const ReapReport r = reaper.RunOnce();
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.applications, 1);
  EXPECT_EQ(r.messages, 5);
  EXPECT_EQ(r.deliveries, 5);
  for (const char* table : {"messages", "deliveries", "sources", "app_tokens", "event_types"}) {
    EXPECT_EQ(Count(std::string("SELECT COUNT(*) FROM ") + table + " WHERE app_id = 'app_gone'"), 0)
        << table;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attempts WHERE delivery_id LIKE 'dlv_app_gone%'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applications WHERE id = 'app_gone'"), 0);
  // The live application keeps everything.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM messages WHERE app_id = 'app_live'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deliveries WHERE app_id = 'app_live'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attempts WHERE delivery_id LIKE 'dlv_app_live%'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sources WHERE app_id = 'app_live'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM app_tokens WHERE app_id = 'app_live'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applications"), 2);  // live and the default one
  // A second run has nothing to do.
  const ReapReport again = reaper.RunOnce();
  EXPECT_TRUE(again.status.ok());
  EXPECT_EQ(again.applications, 0);
  EXPECT_EQ(again.messages, 0);
}

}  // namespace
}  // namespace hookd
