// The group committer over the real SqliteEventStore (with the real fan-out) on a SQLite file in a
// temp dir: what a batch stores, what a failed batch leaves behind, and how duplicates end up.
// Failures are injected inside SQLite itself (a trigger that RAISEs), so the rollback under test
// is SQLite's, not a fake's early return.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/ids.h"
#include "common/migrations.h"
#include "common/random.h"
#include "deliver/endpoint.h"
#include "deliver/fanout.h"
#include "ingest/group_committer.h"
#include "ingest/sqlite_event_store.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

// Collects the committer's answers by request, and lets the test wait for a number of them.
struct Answers {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Result<IngestOutcome>> by_event;  // guarded by mu
  size_t count = 0;                                       // guarded by mu

  GroupCommitter::Done For(const std::string& event_id) {
    return [this, event_id](Result<IngestOutcome> r) {
      std::lock_guard<std::mutex> lock(mu);
      by_event.insert_or_assign(event_id, std::move(r));
      ++count;
      cv.notify_all();
    };
  }
  // Succeeds once `n` answers have come, fails after kWaitDeadline (a committer that never
  // answers fails the test instead of hanging it until CTest's timeout).
  ::testing::AssertionResult WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, kWaitDeadline, [&] { return count >= n; }))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << count << " of " << n << " answers after " << kWaitDeadline.count() << " ms";
  }
  const Result<IngestOutcome>& Of(const std::string& event_id) {
    std::lock_guard<std::mutex> lock(mu);
    return by_event.at(event_id);
  }
};

class EventStoreCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
    endpoint_.id = "ep_1";
    endpoint_.url = "http://127.0.0.1:9/hook";
    endpoint_.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    // Each inserted event becomes a message with one delivery, in the event's transaction, as
    // app/server.cc wires it.
    auto store = SqliteEventStore::Open(*pool_, [this](Db& db, const Event& e) {
      NewMessage m;
      m.id = NewId("msg", clock_, random_);
      m.event_type = e.type;
      m.source_id = e.source_id;
      m.event_id = e.id;
      m.created_at = e.received_at;
      return InsertMessage(db, m, EndpointSnapshot({endpoint_}), clock_, random_).status();
    });
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
  }

  // Makes SQLite refuse to insert the event whose provider_event_id is "poison".
  void PoisonEvents() {
    Exec(
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.provider_event_id = 'poison'"
        " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  // Makes SQLite refuse the fanned-out message of an event of type "boom".
  void PoisonMessages() {
    Exec(
        "CREATE TRIGGER poison_message BEFORE INSERT ON messages WHEN NEW.event_type = 'boom'"
        " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }

  void Exec(const std::string& sql) {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    Status s = (*db)->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  int64_t Count(const std::string& sql) {
    auto db = pool_->Acquire();
    EXPECT_TRUE(db.ok());
    auto st = (*db)->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return st->Int(0);
  }
  int64_t Events() { return Count("SELECT count(*) FROM events"); }
  int64_t StatusEntries(const std::string& type) {
    return Count("SELECT count(*) FROM status_log WHERE type = '" + type + "'");
  }
  int64_t Messages() { return Count("SELECT count(*) FROM messages"); }
  int64_t Deliveries() { return Count("SELECT count(*) FROM deliveries"); }
  void ExpectNothingStored() {
    EXPECT_EQ(Events(), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM status_log"), 0);
    EXPECT_EQ(Messages(), 0);
    EXPECT_EQ(Deliveries(), 0);
  }

  Event MakeEvent(const std::string& id, const std::string& key,
                  const std::string& type = "invoice.paid") {
    Event e;
    e.id = id;
    e.source_id = "src_1";
    e.provider = "github";
    e.provider_event_id = key;
    e.type = type;
    e.headers_json = "{}";
    e.body = R"({"k":")" + key + R"("})";
    e.received_at = clock_.NowUnixMillis();
    return e;
  }

  TempDir dir_;
  SystemClock clock_;
  SeededRandom random_{7};  // used on the committer's thread only
  Endpoint endpoint_;
  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<SqliteEventStore> store_;
};

TEST_F(EventStoreCommitTest, ABatchStoresEachEventWithItsStatusEntryMessageAndDelivery) {
  auto out = store_->CommitBatch({MakeEvent("evt_a", "a"), MakeEvent("evt_b", "b")});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(StatusEntries("event.received"), 2);
  EXPECT_EQ(StatusEntries("message.created"), 2);
  EXPECT_EQ(Messages(), 2);
  EXPECT_EQ(Deliveries(), 2);
}

TEST_F(EventStoreCommitTest, AFailedBatchStoresNothingOfIt) {
  PoisonEvents();
  // The poisoned event comes last: the two before it were inserted, logged and fanned out inside
  // the transaction, and must be rolled back with it.
  auto out = store_->CommitBatch(
      {MakeEvent("evt_a", "a"), MakeEvent("evt_b", "b"), MakeEvent("evt_p", "poison")});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("injected failure"), std::string::npos)
      << out.status().message();
  ExpectNothingStored();

  // The same events without the poisoned one are first deliveries, not duplicates.
  out = store_->CommitBatch({MakeEvent("evt_a2", "a"), MakeEvent("evt_b2", "b")});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE((*out)[0].duplicate);
  EXPECT_EQ((*out)[0].id, "evt_a2");
  EXPECT_FALSE((*out)[1].duplicate);
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Messages(), 2);
}

TEST_F(EventStoreCommitTest, AFailedFanOutRollsBackTheEventsOfTheBatch) {
  PoisonMessages();
  auto out = store_->CommitBatch({MakeEvent("evt_a", "a"), MakeEvent("evt_x", "x", "boom")});
  ASSERT_FALSE(out.ok());
  ExpectNothingStored();
}

TEST_F(EventStoreCommitTest, TheCommitterAnswersEveryRequestOfAFailedBatchAndStoresNothing) {
  PoisonEvents();
  GroupCommitter committer(*store_);
  Answers answers;
  // Queued before the thread starts: the thread takes all three as one batch.
  committer.Submit(MakeEvent("evt_a", "a"), answers.For("evt_a"));
  committer.Submit(MakeEvent("evt_p", "poison"), answers.For("evt_p"));
  committer.Submit(MakeEvent("evt_b", "b"), answers.For("evt_b"));
  committer.Start();
  ASSERT_TRUE(answers.WaitFor(3));
  for (const char* id : {"evt_a", "evt_p", "evt_b"}) {
    SCOPED_TRACE(id);
    ASSERT_FALSE(answers.Of(id).ok());
    EXPECT_EQ(answers.Of(id).status().kind(), ErrorKind::kUnavailable);
  }
  ExpectNothingStored();

  // The providers' retries then go through as first deliveries.
  committer.Submit(MakeEvent("evt_a2", "a"), answers.For("evt_a2"));
  committer.Submit(MakeEvent("evt_b2", "b"), answers.For("evt_b2"));
  ASSERT_TRUE(answers.WaitFor(5));
  for (const char* id : {"evt_a2", "evt_b2"}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(answers.Of(id).ok());
    EXPECT_FALSE(answers.Of(id)->duplicate);
    EXPECT_EQ(answers.Of(id)->id, id);
  }
  committer.Stop();
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(StatusEntries("event.received"), 2);
  EXPECT_EQ(Messages(), 2);
}

TEST_F(EventStoreCommitTest, DuplicatesInOneBatchEndAsOneRow) {
  GroupCommitter committer(*store_);
  Answers answers;
  committer.Submit(MakeEvent("evt_1", "k"), answers.For("evt_1"));
  committer.Submit(MakeEvent("evt_2", "k"), answers.For("evt_2"));
  committer.Submit(MakeEvent("evt_3", "other"), answers.For("evt_3"));
  committer.Submit(MakeEvent("evt_4", "k"), answers.For("evt_4"));
  committer.Start();
  ASSERT_TRUE(answers.WaitFor(4));
  committer.Stop();
  ASSERT_TRUE(answers.Of("evt_1").ok());
  EXPECT_FALSE(answers.Of("evt_1")->duplicate);
  for (const char* id : {"evt_2", "evt_4"}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(answers.Of(id).ok());
    EXPECT_TRUE(answers.Of(id)->duplicate);
    EXPECT_EQ(answers.Of(id)->id, "evt_1");
  }
  ASSERT_TRUE(answers.Of("evt_3").ok());
  EXPECT_FALSE(answers.Of("evt_3")->duplicate);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE provider_event_id = 'k'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE id IN ('evt_2', 'evt_4')"), 0);
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(StatusEntries("event.received"), 2);
  EXPECT_EQ(Messages(), 2);
  EXPECT_EQ(Deliveries(), 2);
}

TEST_F(EventStoreCommitTest, ConcurrentDuplicatesAcrossBatchesEndAsOneRowPerKey) {
  GroupCommitter committer(*store_, 16);  // small batches: the keys' copies span many commits
  committer.Start();
  Answers answers;
  constexpr int kThreads = 8, kKeys = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        const std::string id = "evt_" + std::to_string(t) + "_" + std::to_string(k);
        committer.Submit(MakeEvent(id, "key" + std::to_string(k)), answers.For(id));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(answers.WaitFor(kThreads * kKeys));

  // A copy sent after everything above committed is a duplicate of the stored event.
  committer.Submit(MakeEvent("evt_late", "key0"), answers.For("evt_late"));
  ASSERT_TRUE(answers.WaitFor(kThreads * kKeys + 1));
  committer.Stop();

  std::map<std::string, std::string> stored_id;  // key -> the id every copy was answered with
  int accepted = 0;
  for (int k = 0; k < kKeys; ++k) {
    for (int t = 0; t < kThreads; ++t) {
      const auto& r = answers.Of("evt_" + std::to_string(t) + "_" + std::to_string(k));
      ASSERT_TRUE(r.ok()) << r.status().message();
      if (!r->duplicate) ++accepted;
      auto [it, first] = stored_id.emplace("key" + std::to_string(k), r->id);
      if (!first) {
        EXPECT_EQ(r->id, it->second) << "key" << k;
      }
    }
  }
  EXPECT_EQ(accepted, kKeys);
  ASSERT_TRUE(answers.Of("evt_late").ok());
  EXPECT_TRUE(answers.Of("evt_late")->duplicate);
  EXPECT_EQ(answers.Of("evt_late")->id, stored_id["key0"]);

  EXPECT_EQ(Events(), kKeys);
  EXPECT_EQ(Count("SELECT count(DISTINCT provider_event_id) FROM events"), kKeys);
  EXPECT_EQ(StatusEntries("event.received"), kKeys);
  EXPECT_EQ(Messages(), kKeys);
  EXPECT_EQ(Deliveries(), kKeys);
  // Each stored row is the one its copies were answered with.
  for (const auto& [key, id] : stored_id) {
    EXPECT_EQ(Count("SELECT count(*) FROM events WHERE provider_event_id = '" + key +
                    "' AND id = '" + id + "'"),
              1)
        << key;
  }
}

}  // namespace
}  // namespace hookd::testing
