// MessageService against a real SQLite database with a fake clock: the Idempotency-Key window.
#include "deliver/message_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "common/migrations.h"
#include "deliver/endpoint_cache.h"
#include "deliver/endpoint_store.h"
#include "tests/testing/sync_counting_vfs.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

class MessageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = pool_.Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(ApplyMigrations(**db, EmbeddedMigrations()).ok());
  }

  nlohmann::json Create(int n, const std::optional<std::string>& key) {
    auto r = service_.Create({{"event_type", "order.created"}, {"payload", {{"n", n}}}}, key);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : nlohmann::json();
  }

  int64_t Messages() {
    auto db = pool_.Acquire();
    auto st = (*db)->Prepare("SELECT COUNT(*) FROM messages");
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Int(0);
  }

  testing::TempDir dir_;
  DbPool pool_{dir_.path() + "/hookd.db", DbOptions{}};
  FakeClock clock_{1'790'000'000'000};
  SeededRandom random_{3};
  EndpointStore store_{pool_};
  EndpointCache cache_{store_, clock_};
  int wakes_ = 0;
  MessageService service_{pool_, cache_, clock_, random_, [this](WakeReason) { ++wakes_; }};
};

TEST_F(MessageServiceTest, TheSameKeyWithin24HoursReturnsTheFirstAnswer) {
  const nlohmann::json first = Create(1, "key-1");
  clock_.Advance(hours(24) - milliseconds(1));
  const nlohmann::json again = Create(2, "key-1");
  EXPECT_EQ(again, first);
  EXPECT_EQ(Messages(), 1);
  // Another key, or none, is another message.
  EXPECT_NE(Create(3, "key-2")["id"], first["id"]);
  EXPECT_NE(Create(4, std::nullopt)["id"], first["id"]);
  EXPECT_EQ(Messages(), 3);
}

TEST_F(MessageServiceTest, AfterTheWindowTheKeyMakesANewMessage) {
  const nlohmann::json first = Create(1, "key-1");
  clock_.Advance(hours(24));
  const nlohmann::json later = Create(2, "key-1");
  EXPECT_NE(later["id"], first["id"]);
  EXPECT_EQ(Messages(), 2);
  // The new message now owns the key.
  clock_.Advance(hours(1));
  EXPECT_EQ(Create(3, "key-1"), later);
  // The first message is still there, with its own payload.
  auto old = service_.Get(first["id"]);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ((*old)["payload"]["n"], 1);
}

TEST_F(MessageServiceTest, PublishAnswersAfterTheWritersCommitAndSync) {
  ASSERT_TRUE(service_.Start().ok());
  std::promise<Result<nlohmann::json>> answered;
  service_.Publish({{"event_type", "order.created"}, {"payload", {{"n", 1}}}}, "key-p",
                   [&](Result<nlohmann::json> r) { answered.set_value(std::move(r)); });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Result<nlohmann::json> r = future.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["event_type"], "order.created");
  // Stored (visible to another connection) by the time it is answered; the key is honoured.
  EXPECT_EQ(Messages(), 1);
  EXPECT_EQ(Create(2, "key-p"), *r);
  service_.Stop();
}

// A 202 means the message is on disk with synchronous=FULL (the default): the writer syncs the
// WAL before answering. With NORMAL, the operator's choice, it does not sync.
TEST(MessageServiceSync, TheWriterSyncsTheWalOnlyWithSynchronousFull) {
  for (const std::string level : {"FULL", "NORMAL"}) {
    SCOPED_TRACE(level);
    testing::TempDir dir;
    DbOptions options;
    options.synchronous = level;
    DbPool pool{dir.path() + "/hookd.db", options};
    {
      auto db = pool.Acquire();
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE(ApplyMigrations(**db, EmbeddedMigrations()).ok());
    }
    FakeClock clock{1'790'000'000'000};
    SeededRandom random{5};
    EndpointStore store{pool};
    EndpointCache cache{store, clock};
    testing::SyncCountingVfs vfs;  // the writer's connection opens through it
    {
      MessageService service{pool, cache, clock, random, [](WakeReason) {}};
      ASSERT_TRUE(service.Start().ok());
      for (int n = 0; n < 3; ++n) {
        std::promise<Result<nlohmann::json>> answered;
        service.Publish({{"event_type", "order.created"}, {"payload", {{"n", n}}}}, std::nullopt,
                        [&](Result<nlohmann::json> r) { answered.set_value(std::move(r)); });
        auto future = answered.get_future();
        ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        ASSERT_TRUE(future.get().ok());
      }
      service.Stop();
    }
    if (level == "FULL")
      EXPECT_GE(vfs.wal_syncs(), 3);  // one per batch; each message was its own batch
    else
      EXPECT_EQ(vfs.wal_syncs(), 0);
  }
}

TEST_F(MessageServiceTest, BadKeysAreRefusedAndStoreNothing) {
  for (const std::string& key : {std::string(), std::string(256, 'k')}) {
    auto r = service_.Create({{"event_type", "order.created"}, {"payload", 1}}, key);
    EXPECT_FALSE(r.ok());
  }
  EXPECT_EQ(Messages(), 0);
}

}  // namespace
}  // namespace hookd
