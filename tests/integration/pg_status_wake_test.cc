// Wake-ups across nodes: a PgWakeListener on hookd_status is woken within a second of another
// connection's commit; after its connection is killed it reconnects and wakes once, so what
// committed while nobody listened is read; and the real StatusHub over PgStatusSource, woken by
// it, hands a client every node's entries in seq order, including one committed while the
// listener was down.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_migrations.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_status_log.h"
#include "storage/pg/pg_status_source.h"
#include "storage/pg/pg_wake_listener.h"
#include "tests/testing/pg_test_db.h"
#include "tests/testing/wait.h"
#include "web/stream_hub.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Long enough that no back-stop poll happens during a test: every wake seen is a notification's
// or a reconnect's.
constexpr milliseconds kNoBackstop{600'000};

class PgStatusWakeTest : public testing::PgTest {
 protected:
  void SetUp() override {
    testing::PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    writer_ = Connect();
    ASSERT_TRUE(writer_);
    ASSERT_TRUE(ApplyPgMigrations(*writer_, EmbeddedPgMigrations()).ok());
  }

  // Commits one transaction with entries of these types on `conn`.
  void CommitEntries(PgConn& conn, std::initializer_list<const char*> types) {
    auto txn = PgTransaction::Begin(conn);
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    PgStatusEntries entries;
    for (const char* type : types) entries.Append(type, 1'700'000'000'000, {{"type", type}});
    auto written = CommitWithStatus(**txn, std::move(entries));
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  // Kills the backend of this database's listener connection, as a failover or an admin would.
  void KillListenerConnection() {
    auto r = writer_->Exec(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'hookd-listener' AND datname = current_database()");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->Int(0, 0).value(), 1);
  }

  std::unique_ptr<PgConn> writer_;
};

TEST_F(PgStatusWakeTest, AListenerOnAnotherConnectionIsWokenWithinASecondOfACommit) {
  PgWakeListenerOptions options;
  options.backstop_poll = kNoBackstop;
  PgWakeListener listener(
      url(), std::string(kPgStatusChannel), [] {}, options);
  ASSERT_TRUE(listener.Start().ok());
  // Once at the start, for what committed before the LISTEN.
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.wakes() == 1; }));
  EXPECT_TRUE(listener.listening());

  for (int i = 0; i < 3; ++i) {
    const uint64_t before = listener.wakes();
    CommitEntries(*writer_, {"event.received", "message.created"});
    const auto committed = SteadyClock::now();
    ASSERT_TRUE(testing::WaitUntil([&] { return listener.wakes() > before; }, milliseconds(5000),
                                   milliseconds(1)));
    EXPECT_LT(SteadyClock::now() - committed, milliseconds(1000));
  }
  // A transaction without entries wakes no one.
  const uint64_t before = listener.wakes();
  auto txn = PgTransaction::Begin(*writer_);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(CommitWithStatus(**txn, PgStatusEntries{}).ok());
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(listener.wakes(), before);
  listener.Stop();
  EXPECT_FALSE(listener.listening());
}

TEST_F(PgStatusWakeTest, AfterItsConnectionIsKilledTheListenerComesBackAndWakesOnce) {
  PgWakeListenerOptions options;
  options.backstop_poll = kNoBackstop;
  options.reconnect_delay = milliseconds(100);
  PgWakeListener listener(
      url(), std::string(kPgStatusChannel), [] {}, options);
  ASSERT_TRUE(listener.Start().ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.wakes() == 1; }));
  EXPECT_EQ(listener.connections(), 1u);

  KillListenerConnection();
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.connections() == 2; }));
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.wakes() == 2; }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(listener.wakes(), 2u) << "one wake for the reconnect, no more";
  EXPECT_TRUE(listener.listening());

  // LISTENing again: the next commit wakes it.
  CommitEntries(*writer_, {"delivery.succeeded"});
  const auto committed = SteadyClock::now();
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.wakes() == 3; }, milliseconds(5000),
                                 milliseconds(1)));
  EXPECT_LT(SteadyClock::now() - committed, milliseconds(1000));
}

TEST_F(PgStatusWakeTest, WithoutNotificationsTheBackstopPollWakes) {
  PgWakeListenerOptions options;
  options.backstop_poll = milliseconds(200);
  PgWakeListener listener(
      url(), std::string(kPgStatusChannel), [] {}, options);
  ASSERT_TRUE(listener.Start().ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return listener.wakes() >= 4; }));
  const auto stopping = SteadyClock::now();
  listener.Stop();
  EXPECT_LT(SteadyClock::now() - stopping, milliseconds(1000));
}

TEST_F(PgStatusWakeTest, StartFailsWhenThereIsNoServer) {
  PgWakeListenerOptions options;
  options.connect.connect_timeout = milliseconds(500);
  PgWakeListener listener(
      "postgresql://127.0.0.1:1/none", std::string(kPgStatusChannel), [] {}, options);
  Status s = listener.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnavailable) << s.ToString();
  EXPECT_EQ(listener.wakes(), 0u);
}

// A stream client's sink: what the hub offers, kept for the test thread.
class RecordingSink final : public PerEntrySink {
 public:
  void OnEntry(const StreamEntryPtr& entry) override {
    std::lock_guard<std::mutex> lock(mu_);
    got_.push_back(entry);
  }
  std::vector<int64_t> Seqs() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<int64_t> out;
    for (const auto& e : got_) out.push_back(e->seq);
    return out;
  }
  std::vector<std::string> Types() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : got_) out.push_back(e->type);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<StreamEntryPtr> got_;
};

TEST_F(PgStatusWakeTest, TheStatusHubOverPgStatusSourceServesEveryNodesEntriesWokenByNotify) {
  CommitEntries(*writer_, {"before.start"});  // the hub starts after it

  // This node: a hub reading PostgreSQL, woken only by the listener (its own poll is too slow to
  // matter here).
  PgPool reader_pool(url());
  PgStatusSource source(reader_pool);
  StatusHubOptions hub_options;
  hub_options.fallback_poll = kNoBackstop;
  StatusHub hub(source, hub_options);
  ASSERT_TRUE(hub.Start().ok());
  EXPECT_EQ(hub.last_seq(), 1);
  PgWakeListenerOptions options;
  options.backstop_poll = kNoBackstop;
  options.reconnect_delay = milliseconds(1000);
  PgWakeListener listener(
      url(), std::string(kPgStatusChannel), [&hub] { hub.Notify(); }, options);
  ASSERT_TRUE(listener.Start().ok());
  auto sink = std::make_shared<RecordingSink>();
  auto backlog = hub.Attach(sink, StreamFilter{}, std::nullopt);
  ASSERT_TRUE(backlog.has_value());
  EXPECT_TRUE(backlog->empty());

  // Two other nodes; the one that began first commits last.
  PgPool node_a(url());
  PgPool node_b(url());
  auto a = node_a.Acquire();
  auto b = node_b.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  auto ta = PgTransaction::Begin(**a);
  ASSERT_TRUE(ta.ok());
  PgStatusEntries from_a;
  from_a.Append("a.one", 1, {{"node", "a"}});
  from_a.Append("a.two", 2, {{"node", "a"}});
  CommitEntries(**b, {"b.one"});
  ASSERT_TRUE(CommitWithStatus(**ta, std::move(from_a)).ok());
  const auto committed = SteadyClock::now();
  ASSERT_TRUE(testing::WaitUntil([&] { return sink->Seqs().size() == 3; }, milliseconds(5000),
                                 milliseconds(1)));
  EXPECT_LT(SteadyClock::now() - committed, milliseconds(1000));
  EXPECT_EQ(sink->Seqs(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(sink->Types(), (std::vector<std::string>{"b.one", "a.one", "a.two"}));

  // The listener's connection dies; an entry commits while nobody listens (its NOTIFY is lost).
  KillListenerConnection();
  ASSERT_TRUE(testing::WaitUntil([&] { return !listener.listening(); }));
  CommitEntries(**a, {"while.down"});
  EXPECT_EQ(listener.connections(), 1u) << "committed before the reconnect";
  // The wake after reconnecting reads it.
  ASSERT_TRUE(testing::WaitUntil([&] { return sink->Seqs().size() == 4; }, milliseconds(5000)));
  EXPECT_EQ(listener.connections(), 2u);
  EXPECT_EQ(sink->Seqs(), (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(sink->Types().back(), "while.down");

  listener.Stop();
  hub.Stop();
}

}  // namespace
}  // namespace hookd
