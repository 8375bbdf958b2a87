// MessageService against a real SQLite database with a fake clock: the Idempotency-Key window and
// a key reused with another request.
#include "deliver/message_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

  // The error code of a Create that must fail ("" when it succeeded).
  std::string Refusal(int n, const std::optional<std::string>& key,
                      const std::string& type = "order.created",
                      const std::optional<std::string>& source = std::nullopt) {
    nlohmann::json req = {{"event_type", type}, {"payload", {{"n", n}}}};
    if (source) req["source_id"] = *source;
    auto r = service_.Create(req, key);
    return r.ok() ? "" : r.status().code();
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
  const nlohmann::json again = Create(1, "key-1");
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
  // The new message now owns the key, with its own request.
  clock_.Advance(hours(1));
  EXPECT_EQ(Create(2, "key-1"), later);
  EXPECT_EQ(Refusal(3, "key-1"), "idempotency_key_reused");
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
  EXPECT_EQ(Create(1, "key-p"), *r);
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

TEST_F(MessageServiceTest, AKeyReusedWithAnotherRequestIsRefusedAndCreatesNothing) {
  const nlohmann::json first = Create(1, "key-1");
  const int wakes = wakes_;
  EXPECT_EQ(Refusal(2, "key-1"), "idempotency_key_reused");  // another payload
  EXPECT_EQ(Refusal(1, "key-1", "order.paid"), "idempotency_key_reused");
  EXPECT_EQ(Refusal(1, "key-1", "order.created", "src_0123456789ABCDEFGHJKMNPQRS"),
            "idempotency_key_reused");
  auto r = service_.Create({{"event_type", "order.created"}, {"payload", {{"n", 2}}}}, "key-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField);  // 422
  EXPECT_EQ(Messages(), 1);
  EXPECT_EQ(wakes_, wakes);
  // The same request still answers with the first answer; the payload's key order is not part
  // of the request.
  EXPECT_EQ(Create(1, "key-1"), first);
  auto same = service_.Create(
      nlohmann::json::parse(R"({"payload": {"n": 1}, "event_type": "order.created"})"), "key-1");
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(*same, first);
  EXPECT_EQ(Messages(), 1);
}

TEST_F(MessageServiceTest, AKeyStoredWithoutItsRequestKeepsAnsweringTheFirstAnswer) {
  const nlohmann::json first = Create(1, "key-1");
  {
    // A message written before the request was stored with its key.
    auto db = pool_.Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE messages SET request_hash = NULL").ok());
  }
  EXPECT_EQ(Create(2, "key-1"), first);
  EXPECT_EQ(Messages(), 1);
}

TEST_F(MessageServiceTest, PublishRefusesOneReusedKeyOfABatchAndCommitsTheRest) {
  ASSERT_TRUE(service_.Start().ok());
  constexpr int kRequests = 6;
  std::vector<std::promise<Result<nlohmann::json>>> answered(kRequests);
  // Queued back to back, so most land in one batch: requests 0-2 share a key with request 0's
  // body, 3 reuses it with another body, 4 and 5 have keys of their own.
  for (int i = 0; i < kRequests; ++i) {
    const int n = i == 3 ? 99 : (i < 3 ? 0 : i);
    const std::string key = i <= 3 ? "key-b" : "key-" + std::to_string(i);
    service_.Publish({{"event_type", "order.created"}, {"payload", {{"n", n}}}}, key,
                     [&, i](Result<nlohmann::json> r) { answered[i].set_value(std::move(r)); });
  }
  std::vector<Result<nlohmann::json>> r;
  for (auto& a : answered) {
    auto future = a.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    r.push_back(future.get());
  }
  service_.Stop();
  for (int i : {0, 1, 2, 4, 5}) ASSERT_TRUE(r[i].ok()) << i << r[i].status().message();
  EXPECT_EQ(*r[1], *r[0]);
  EXPECT_EQ(*r[2], *r[0]);
  ASSERT_FALSE(r[3].ok());
  EXPECT_EQ(r[3].status().code(), "idempotency_key_reused");
  EXPECT_EQ(Messages(), 3);
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
