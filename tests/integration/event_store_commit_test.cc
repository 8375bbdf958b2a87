// The event store under the group committer, on both engines (SqliteEventStore on a SQLite file
// in a temp dir, PgEventStore on a PostgreSQL database of its own): what a batch stores, what a
// failed batch leaves behind, how duplicates end up, and what Get and List read back. The store's
// AfterInsert hook writes a row and a status entry of its own inside the batch's transaction.
// Failures are injected inside the database itself (a trigger that raises), so the rollback under
// test is the database's, not a fake's early return. The real fan-out (InsertMessage, SQLite's
// hook) is tested on SQLite at the end.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/db.h"
#include "common/ids.h"
#include "common/random.h"
#include "common/status_log.h"
#include "deliver/endpoint.h"
#include "deliver/fanout.h"
#include "ingest/group_committer.h"
#include "ingest/sqlite_event_store.h"
#include "storage/pg/pg_event_store.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/store_engines.h"
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

// The hook's table and the triggers that poison an insert, in each engine's SQL.
constexpr char kHookTable[] = "CREATE TABLE hook_rows (event_id text NOT NULL, type text NOT NULL)";
constexpr char kSqlitePoisonEvents[] =
    "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.provider_event_id = 'poison'"
    " BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
constexpr char kSqlitePoisonHook[] =
    "CREATE TRIGGER poison_hook BEFORE INSERT ON hook_rows WHEN NEW.type = 'boom'"
    " BEGIN SELECT RAISE(ABORT, 'injected failure'); END";
constexpr char kPgPoisonFunction[] =
    "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;";
constexpr char kPgPoisonEvents[] =
    "CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW"
    " WHEN (NEW.provider_event_id = 'poison') EXECUTE FUNCTION poison()";
constexpr char kPgPoisonHook[] =
    "CREATE TRIGGER poison_hook BEFORE INSERT ON hook_rows FOR EACH ROW"
    " WHEN (NEW.type = 'boom') EXECUTE FUNCTION poison()";

Event MakeEvent(const Clock& clock, const std::string& id, const std::string& key,
                const std::string& type = "invoice.paid") {
  Event e;
  e.id = id;
  e.source_id = "src_1";
  e.provider = "github";
  e.provider_event_id = key;
  e.type = type;
  e.headers_json = "{}";
  e.body = R"({"k":")" + key + R"("})";
  e.received_at = clock.NowUnixMillis();
  return e;
}

// The engine's event store with the test hook: each inserted event adds a hook_rows row and a
// `test.hook` status entry in the batch's transaction.
std::unique_ptr<EventStore> OpenEventStore(SqliteEngine& engine) {
  auto store = SqliteEventStore::Open(engine.pool(), [](Db& db, const Event& e) {
    auto st = db.Cached("INSERT INTO hook_rows (event_id, type) VALUES (?, ?)");
    if (!st.ok()) return st.status();
    if (Status s = (*st)->Bind(1, e.id).Bind(2, e.type).Run(); !s.ok()) return s;
    return AppendStatus(db, "test.hook", e.received_at, {{"event_id", e.id}});
  });
  if (!store.ok()) throw std::runtime_error(store.status().ToString());
  return std::move(store).value();
}
std::unique_ptr<EventStore> OpenEventStore(PgEngine& engine) {
  return std::make_unique<PgEventStore>(engine.pool(), [](PgConn& conn, PgStatusEntries& entries,
                                                          const Event& e) {
    auto r = conn.Exec("INSERT INTO hook_rows (event_id, type) VALUES ($1, $2)", {e.id, e.type});
    if (!r.ok()) return r.status();
    entries.Append("test.hook", e.received_at, {{"event_id", e.id}});
    return Status::Ok();
  });
}

template <typename Engine>
class EventStoreCommitTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    ExecOk(kHookTable);
    store_ = OpenEventStore(this->engine_);
  }

  void ExecOk(const std::string& sql) {
    Status s = this->engine_.Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Makes the database refuse to insert the event whose provider_event_id is "poison".
  void PoisonEvents() {
    if constexpr (Engine::kPostgres) {
      ExecOk(kPgPoisonFunction);
      ExecOk(kPgPoisonEvents);
    } else {
      ExecOk(kSqlitePoisonEvents);
    }
  }
  // Makes the database refuse the hook's row of an event of type "boom".
  void PoisonHook() {
    if constexpr (Engine::kPostgres) {
      ExecOk(kPgPoisonFunction);
      ExecOk(kPgPoisonHook);
    } else {
      ExecOk(kSqlitePoisonHook);
    }
  }

  int64_t Events() { return this->Count("SELECT count(*) FROM events"); }
  int64_t StatusEntries(const std::string& type) {
    return this->Count("SELECT count(*) FROM status_log WHERE type = '" + type + "'");
  }
  int64_t HookRows() { return this->Count("SELECT count(*) FROM hook_rows"); }
  void ExpectNothingStored() {
    EXPECT_EQ(Events(), 0);
    EXPECT_EQ(this->Count("SELECT count(*) FROM status_log"), 0);
    EXPECT_EQ(HookRows(), 0);
  }

  Event MakeEvent(const std::string& id, const std::string& key,
                  const std::string& type = "invoice.paid") {
    return testing::MakeEvent(clock_, id, key, type);
  }

  SystemClock clock_;
  std::unique_ptr<EventStore> store_;
};

TYPED_TEST_SUITE(EventStoreCommitTest, StoreEngines, EngineName);

TYPED_TEST(EventStoreCommitTest, ABatchStoresEachEventWithItsStatusEntryAndHook) {
  auto out =
      this->store_->CommitBatch({this->MakeEvent("evt_a", "a"), this->MakeEvent("evt_b", "b")});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].id, "evt_a");
  EXPECT_FALSE((*out)[0].duplicate);
  EXPECT_EQ((*out)[1].id, "evt_b");
  EXPECT_EQ(this->Events(), 2);
  EXPECT_EQ(this->StatusEntries("event.received"), 2);
  EXPECT_EQ(this->StatusEntries("test.hook"), 2);
  EXPECT_EQ(this->HookRows(), 2);
  // The entries in batch order, each event's own before its hook's.
  std::vector<std::string> types;
  for (int i = 0; i < 4; ++i) {
    types.push_back(
        this->engine_.Text("SELECT type || ' ' || data FROM status_log ORDER BY seq"
                           " LIMIT 1 OFFSET " +
                           std::to_string(i)));
  }
  ASSERT_EQ(types.size(), 4u);
  EXPECT_EQ(types[0].rfind("event.received ", 0), 0u) << types[0];
  EXPECT_NE(types[0].find("evt_a"), std::string::npos) << types[0];
  EXPECT_EQ(types[1], R"(test.hook {"event_id":"evt_a"})");
  EXPECT_EQ(types[2].rfind("event.received ", 0), 0u) << types[2];
  EXPECT_NE(types[2].find("evt_b"), std::string::npos) << types[2];
  EXPECT_EQ(types[3], R"(test.hook {"event_id":"evt_b"})");
}

TYPED_TEST(EventStoreCommitTest, AnEventReceivedEntryNamesTheEvent) {
  Event e = this->MakeEvent("evt_a", "a");
  e.app_id = "app_x";
  ASSERT_TRUE(this->store_->CommitBatch({e}).ok());
  const auto data = nlohmann::json::parse(
      this->engine_.Text("SELECT data FROM status_log WHERE type = 'event.received'"));
  EXPECT_EQ(data, (nlohmann::json{{"app_id", "app_x"},
                                  {"event_id", "evt_a"},
                                  {"source_id", "src_1"},
                                  {"provider", "github"},
                                  {"type", "invoice.paid"},
                                  {"provider_event_id", "a"}}));
}

TYPED_TEST(EventStoreCommitTest, AFailedBatchStoresNothingOfIt) {
  this->PoisonEvents();
  // The poisoned event comes last: the two before it were inserted, logged and hooked inside the
  // transaction, and must be rolled back with it.
  auto out =
      this->store_->CommitBatch({this->MakeEvent("evt_a", "a"), this->MakeEvent("evt_b", "b"),
                                 this->MakeEvent("evt_p", "poison")});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("injected failure"), std::string::npos)
      << out.status().message();
  this->ExpectNothingStored();

  // The same events without the poisoned one are first deliveries, not duplicates.
  out = this->store_->CommitBatch({this->MakeEvent("evt_a2", "a"), this->MakeEvent("evt_b2", "b")});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_FALSE((*out)[0].duplicate);
  EXPECT_EQ((*out)[0].id, "evt_a2");
  EXPECT_FALSE((*out)[1].duplicate);
  EXPECT_EQ(this->Events(), 2);
  EXPECT_EQ(this->HookRows(), 2);
}

TYPED_TEST(EventStoreCommitTest, AFailedHookRollsBackTheEventsOfTheBatch) {
  this->PoisonHook();
  auto out = this->store_->CommitBatch(
      {this->MakeEvent("evt_a", "a"), this->MakeEvent("evt_x", "x", "boom")});
  ASSERT_FALSE(out.ok());
  this->ExpectNothingStored();
}

TYPED_TEST(EventStoreCommitTest, TheCommitterAnswersEveryRequestOfAFailedBatchAndStoresNothing) {
  this->PoisonEvents();
  GroupCommitter committer(*this->store_);
  Answers answers;
  // Queued before the thread starts: the thread takes all three as one batch.
  committer.Submit(this->MakeEvent("evt_a", "a"), answers.For("evt_a"));
  committer.Submit(this->MakeEvent("evt_p", "poison"), answers.For("evt_p"));
  committer.Submit(this->MakeEvent("evt_b", "b"), answers.For("evt_b"));
  committer.Start();
  ASSERT_TRUE(answers.WaitFor(3));
  for (const char* id : {"evt_a", "evt_p", "evt_b"}) {
    SCOPED_TRACE(id);
    ASSERT_FALSE(answers.Of(id).ok());
    EXPECT_EQ(answers.Of(id).status().kind(), ErrorKind::kUnavailable);
  }
  this->ExpectNothingStored();

  // The providers' retries then go through as first deliveries.
  committer.Submit(this->MakeEvent("evt_a2", "a"), answers.For("evt_a2"));
  committer.Submit(this->MakeEvent("evt_b2", "b"), answers.For("evt_b2"));
  ASSERT_TRUE(answers.WaitFor(5));
  for (const char* id : {"evt_a2", "evt_b2"}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(answers.Of(id).ok());
    EXPECT_FALSE(answers.Of(id)->duplicate);
    EXPECT_EQ(answers.Of(id)->id, id);
  }
  committer.Stop();
  EXPECT_EQ(this->Events(), 2);
  EXPECT_EQ(this->StatusEntries("event.received"), 2);
  EXPECT_EQ(this->HookRows(), 2);
}

TYPED_TEST(EventStoreCommitTest, DuplicatesInOneBatchEndAsOneRow) {
  GroupCommitter committer(*this->store_);
  Answers answers;
  committer.Submit(this->MakeEvent("evt_1", "k"), answers.For("evt_1"));
  committer.Submit(this->MakeEvent("evt_2", "k"), answers.For("evt_2"));
  committer.Submit(this->MakeEvent("evt_3", "other"), answers.For("evt_3"));
  committer.Submit(this->MakeEvent("evt_4", "k"), answers.For("evt_4"));
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
  EXPECT_EQ(this->Count("SELECT count(*) FROM events WHERE provider_event_id = 'k'"), 1);
  EXPECT_EQ(this->Count("SELECT count(*) FROM events WHERE id IN ('evt_2', 'evt_4')"), 0);
  EXPECT_EQ(this->Events(), 2);
  EXPECT_EQ(this->StatusEntries("event.received"), 2);
  EXPECT_EQ(this->HookRows(), 2);
}

TYPED_TEST(EventStoreCommitTest, ConcurrentDuplicatesAcrossBatchesEndAsOneRowPerKey) {
  GroupCommitter committer(*this->store_, 16);  // small batches: the keys' copies span many commits
  committer.Start();
  Answers answers;
  constexpr int kThreads = 8, kKeys = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        const std::string id = "evt_" + std::to_string(t) + "_" + std::to_string(k);
        committer.Submit(this->MakeEvent(id, "key" + std::to_string(k)), answers.For(id));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(answers.WaitFor(kThreads * kKeys));

  // A copy sent after everything above committed is a duplicate of the stored event.
  committer.Submit(this->MakeEvent("evt_late", "key0"), answers.For("evt_late"));
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

  EXPECT_EQ(this->Events(), kKeys);
  EXPECT_EQ(this->Count("SELECT count(DISTINCT provider_event_id) FROM events"), kKeys);
  EXPECT_EQ(this->StatusEntries("event.received"), kKeys);
  EXPECT_EQ(this->HookRows(), kKeys);
  // Each stored row is the one its copies were answered with.
  for (const auto& [key, id] : stored_id) {
    EXPECT_EQ(this->Count("SELECT count(*) FROM events WHERE provider_event_id = '" + key +
                          "' AND id = '" + id + "'"),
              1)
        << key;
  }
}

// The real fan-out of app/server.cc (SQLite's AfterInsert): each inserted event becomes a message
// with one delivery, in the event's transaction.
class SqliteEventStoreFanOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = MigratedPool(dir_.path() + "/hookd.db");
    endpoint_.id = "ep_1";
    endpoint_.url = "http://127.0.0.1:9/hook";
    endpoint_.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
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

  int64_t Count(const std::string& sql) {
    auto db = pool_->Acquire();
    EXPECT_TRUE(db.ok());
    auto st = (*db)->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return st->Int(0);
  }

  TempDir dir_;
  SystemClock clock_;
  SeededRandom random_{7};  // used on the committer's thread only
  Endpoint endpoint_;
  std::unique_ptr<DbPool> pool_;
  std::unique_ptr<SqliteEventStore> store_;
};

TEST_F(SqliteEventStoreFanOutTest, ABatchStoresEachEventWithItsMessageAndDelivery) {
  auto out =
      store_->CommitBatch({MakeEvent(clock_, "evt_a", "a"), MakeEvent(clock_, "evt_b", "b")});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM status_log WHERE type = 'message.created'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), 2);
}

TEST_F(SqliteEventStoreFanOutTest, AFailedFanOutRollsBackTheEventsOfTheBatch) {
  {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TRIGGER poison_message BEFORE INSERT ON messages WHEN"
                           " NEW.event_type = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END")
                    .ok());
  }
  auto out = store_->CommitBatch(
      {MakeEvent(clock_, "evt_a", "a"), MakeEvent(clock_, "evt_x", "x", "boom")});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(Count("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM status_log"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), 0);
}

}  // namespace
}  // namespace hookd::testing
