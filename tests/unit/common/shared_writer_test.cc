// SharedWriter against a real SQLite file: one connection, taken in turns by threads.
#include "common/shared_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

// `prefix` then `i` (GCC 12 warns wrongly about "literal" + std::string).
std::string Key(const char* prefix, int i) {
  std::string k = prefix;
  k += '-';
  k += std::to_string(i);
  return k;
}

class SharedWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = SharedWriter::Open(path_, DbOptions{});
    ASSERT_TRUE(w.ok()) << w.status().message();
    writer_ = std::move(w).value();
    auto db = writer_->Hold();
    ASSERT_TRUE(db->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)").ok());
  }

  // Inserts `k` in a transaction of its own on `db`.
  static void Insert(Db& db, const std::string& k) {
    auto txn = Transaction::Begin(db);
    ASSERT_TRUE(txn.ok());
    auto st = db.Prepare("INSERT INTO t VALUES (?, 1)");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Bind(1, k).Run().ok()) << db.LastError();
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  static int64_t Count(Db& db) {
    auto st = db.Prepare("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    return row.ok() && *row ? st->Int(0) : -1;
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/t.db";
  std::unique_ptr<SharedWriter> writer_;
};

TEST_F(SharedWriterTest, ThreadsCommitInTurnsWithNothingLostOrRefused) {
  constexpr int kThreads = 4;
  constexpr int kEach = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kEach; ++i) {
        auto db = writer_->Hold();
        Insert(*db, Key(Key("t", t).c_str(), i));
      }
    });
  }
  for (auto& t : threads) t.join();
  auto db = writer_->Hold();
  EXPECT_EQ(Count(*db), kThreads * kEach);
}

TEST_F(SharedWriterTest, AHoldIsExclusiveAcrossThreadsAndReentrantOnOne) {
  std::atomic<bool> other_holds{false};
  std::thread other;
  {
    auto db = writer_->Hold();
    auto txn = Transaction::Begin(*db);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES ('held', 1)").ok());
    other = std::thread([&] {
      auto theirs = writer_->Hold();
      other_holds = true;
      // By the time it holds the connection, the transaction before it has committed.
      EXPECT_EQ(Count(*theirs), 1);
      auto in_txn = theirs->Exec("INSERT INTO t VALUES ('other', 1)");
      EXPECT_TRUE(in_txn.ok()) << in_txn.message();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(other_holds.load());  // it waits while this thread holds
    {
      auto again = writer_->Hold();  // the same thread holds it again without a deadlock
      EXPECT_EQ(Count(*again), 1);   // and sees its own transaction
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  other.join();
  EXPECT_TRUE(other_holds.load());
  auto db = writer_->Hold();
  EXPECT_EQ(Count(*db), 2);
}

TEST_F(SharedWriterTest,
       WritersTakingTurnsOnOneConnectionKeepItsPageCacheWhereTwoConnectionsDoNot) {
  // Enough rows for an index of several pages.
  ASSERT_TRUE(writer_->Hold()
                  ->Exec("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
                         " WHERE i < 4999) INSERT INTO t SELECT printf('seed-%d-%040d', i, 0), 1"
                         " FROM n")
                  .ok());
  // Two writers on two connections, alternating: each transaction finds the WAL changed by the
  // other and reads its pages again.
  auto other = SharedWriter::Open(path_, DbOptions{});
  ASSERT_TRUE(other.ok());
  auto miss_count = [](SharedWriter& w) { return w.Hold()->CacheMisses(); };
  for (int i = 0; i < 5; ++i) {  // warm both caches
    Insert(*writer_->Hold(), Key("warm-a", i));
    Insert(*(*other)->Hold(), Key("warm-b", i));
  }
  const int64_t two_before = miss_count(*writer_) + miss_count(**other);
  for (int i = 0; i < 50; ++i) {
    Insert(*writer_->Hold(), Key("a", i));
    Insert(*(*other)->Hold(), Key("b", i));
  }
  const int64_t two = miss_count(*writer_) + miss_count(**other) - two_before;
  other->reset();
  // The same hundred transactions through one connection.
  Insert(*writer_->Hold(), "warm-c");  // the other connection's last commit is read once
  const int64_t one_before = miss_count(*writer_);
  for (int i = 0; i < 100; ++i) Insert(*writer_->Hold(), Key("c", i));
  const int64_t one = miss_count(*writer_) - one_before;
  RecordProperty("cache_misses_two_connections", std::to_string(two));
  RecordProperty("cache_misses_one_connection", std::to_string(one));
  EXPECT_GE(two, 100) << "each transaction on two connections re-reads at least one page";
  EXPECT_LE(one * 10, two) << "one connection: " << one << " misses, two: " << two;
}

TEST_F(SharedWriterTest, SyncWalAfterACommitSucceeds) {
  Insert(*writer_->Hold(), "k");
  EXPECT_TRUE(writer_->SyncWal().ok());
}

}  // namespace
}  // namespace hookd
