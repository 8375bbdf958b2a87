// The status log is one ordered log (API.md, "Storage"): a reader that asks for seq > last must
// never skip an entry that commits after one with a higher seq. With an identity column it does
// (the first test shows it); with seqs taken from status_log_head in the last statement of the
// writing transaction (migrations/postgres/0001_status_log.sql; docs/DECISIONS.md, "PostgreSQL:
// the status log's seqs are taken at the end of the writing transaction") it cannot: the second
// writer waits on the head's row lock until the first commits, so seqs commit in order and have
// no gaps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_migrations.h"
#include "tests/testing/pg_test_db.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;

class PgStatusLogOrderTest : public testing::PgTest {};

// The append: the seq is taken, and the row written, in one statement at the end of the
// transaction; the head's row stays locked until COMMIT.
constexpr const char* kAppend =
    "WITH head AS (UPDATE status_log_head SET seq = seq + 1 WHERE id = 1 RETURNING seq) "
    "INSERT INTO status_log (seq, type, at, data) SELECT seq, $1, 0, '{}' FROM head "
    "RETURNING seq";

// What a stream reader does: everything after the last seq it has seen, in order.
std::vector<int64_t> ReadAfter(PgConn& conn, const std::string& table, int64_t last) {
  auto r = conn.Exec("SELECT seq FROM " + table + " WHERE seq > $1 ORDER BY seq", {last});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<int64_t> seqs;
  for (int i = 0; r.ok() && i < r->rows(); ++i) seqs.push_back(r->Int(i, 0).value());
  return seqs;
}

// Waits until the backend `pid` is blocked on a lock.
bool WaitsOnALock(PgConn& observer, int pid) {
  for (int i = 0; i < 200; ++i) {
    auto r = observer.Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", {pid});
    if (r.ok() && r->Int(0, 0).value() == 1) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

TEST_F(PgStatusLogOrderTest, ANaiveReaderOfAnIdentitySeqSkipsAnEntryThatCommitsLate) {
  auto a = Connect();
  auto b = Connect();
  auto reader = Connect();
  ASSERT_TRUE(a && b && reader);
  ASSERT_TRUE(a->ExecScript("CREATE TABLE naive_log (seq bigint GENERATED ALWAYS AS IDENTITY "
                            "PRIMARY KEY, type text NOT NULL)")
                  .ok());
  const char* insert = "INSERT INTO naive_log (type) VALUES ($1) RETURNING seq";

  auto ta = PgTransaction::Begin(*a);
  ASSERT_TRUE(ta.ok());
  auto first = a->Exec(insert, {"first"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->Int(0, 0).value(), 1);
  {
    auto tb = PgTransaction::Begin(*b);
    ASSERT_TRUE(tb.ok());
    auto second = b->Exec(insert, {"second"});
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->Int(0, 0).value(), 2);
    ASSERT_TRUE((*tb)->Commit().ok());  // seq 2 commits while seq 1 is still in flight
  }
  int64_t last = 0;
  auto seen = ReadAfter(*reader, "naive_log", last);
  EXPECT_EQ(seen, (std::vector<int64_t>{2}));
  last = seen.back();
  ASSERT_TRUE((*ta)->Commit().ok());
  // Seq 1 is in the table now, and the reader, past 2, never sees it.
  EXPECT_TRUE(ReadAfter(*reader, "naive_log", last).empty());
  EXPECT_EQ(ReadAfter(*reader, "naive_log", 0), (std::vector<int64_t>{1, 2}));
}

TEST_F(PgStatusLogOrderTest, SeqsTakenAtTheEndOfTheTransactionCommitInOrder) {
  auto a = Connect();
  auto b = Connect();
  auto reader = Connect();
  ASSERT_TRUE(a && b && reader);
  ASSERT_TRUE(ApplyPgMigrations(*a, EmbeddedPgMigrations()).ok());

  // The same race: a takes its seq first and commits last.
  auto ta = PgTransaction::Begin(*a);
  ASSERT_TRUE(ta.ok());
  auto first = a->Exec(kAppend, {"first"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->Int(0, 0).value(), 1);

  auto tb = PgTransaction::Begin(*b);
  ASSERT_TRUE(tb.ok());
  int64_t second_seq = 0;
  std::thread t([&] {
    auto second = b->Exec(kAppend, {"second"});  // waits for a's COMMIT
    if (second.ok()) second_seq = second->Int(0, 0).value();
  });
  // b cannot take a seq, let alone commit one, before a commits.
  EXPECT_TRUE(WaitsOnALock(*reader, b->backend_pid()));
  int64_t last = 0;
  EXPECT_TRUE(ReadAfter(*reader, "status_log", last).empty());

  ASSERT_TRUE((*ta)->Commit().ok());
  t.join();
  EXPECT_EQ(second_seq, 2);
  auto seen = ReadAfter(*reader, "status_log", last);
  EXPECT_EQ(seen, (std::vector<int64_t>{1}));
  last = seen.back();
  ASSERT_TRUE((*tb)->Commit().ok());
  EXPECT_EQ(ReadAfter(*reader, "status_log", last), (std::vector<int64_t>{2}));
}

TEST_F(PgStatusLogOrderTest, UnderConcurrentWritersAReaderSeesEverySeqOnceInOrderWithNoGap) {
  auto setup = Connect();
  ASSERT_TRUE(setup);
  ASSERT_TRUE(ApplyPgMigrations(*setup, EmbeddedPgMigrations()).ok());
  constexpr int kWriters = 4;
  constexpr int kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto conn = PgConn::Connect(url());
      if (!conn.ok()) {
        ++failures;
        return;
      }
      std::mt19937 rng(w);
      for (int i = 0; i < kEach; ++i) {
        auto txn = PgTransaction::Begin(**conn);
        // Other work of the transaction happens before the append; a rolled-back one takes
        // its seq back with it.
        const bool roll_back = i % 5 == 4;
        if (!txn.ok() || !(*conn)->Exec(kAppend, {"entry"}).ok()) {
          ++failures;
          continue;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
        if (!roll_back && !(*txn)->Commit().ok()) ++failures;
      }
    });
  }
  auto reader = Connect();
  ASSERT_TRUE(reader);
  constexpr int64_t kCommitted = kWriters * kEach * 4 / 5;
  int64_t last = 0;
  std::vector<int64_t> gaps;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (last < kCommitted && std::chrono::steady_clock::now() < deadline) {
    for (int64_t seq : ReadAfter(*reader, "status_log", last)) {
      if (seq != last + 1) gaps.push_back(seq);
      last = seq;
    }
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(gaps.empty()) << "a reader jumped to seq " << gaps.front();
  EXPECT_EQ(last, kCommitted);
  EXPECT_TRUE(ReadAfter(*reader, "status_log", last).empty());
}

}  // namespace
}  // namespace hookd
