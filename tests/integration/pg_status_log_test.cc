// The status log on PostgreSQL through CommitWithStatus and PgStatusSource: a transaction's
// entries get consecutive seqs at its end; transactions of two nodes committing in the reverse of
// the order they began are read in seq order with none skipped, also under concurrent writers
// that roll back or fail at COMMIT; a transaction that does not commit leaves neither an entry
// nor a gap; each commit with entries notifies hookd_status with its last seq; and an entry reads
// back as the same JSON (and SSE block) as the SQLite log gives for the same input.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/db.h"
#include "common/status_log.h"
#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_listener.h"
#include "storage/pg/pg_migrations.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_status_log.h"
#include "storage/pg/pg_status_source.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/pg_test_db.h"
#include "tests/testing/temp_dir.h"
#include "web/status_source.h"
#include "web/stream_hub.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;

class PgStatusLogTest : public testing::PgTest {
 protected:
  void SetUp() override {
    testing::PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto conn = Connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(ApplyPgMigrations(*conn, EmbeddedPgMigrations()).ok());
    // A check that only COMMIT makes: a transaction that inserts the same key twice fails there,
    // after its status entries were written.
    ASSERT_TRUE(conn->ExecScript(
                        "CREATE TABLE commit_check (k bigint UNIQUE DEFERRABLE INITIALLY DEFERRED)")
                    .ok());
  }

  std::vector<int64_t> Seqs(const std::vector<StatusEntry>& entries) {
    std::vector<int64_t> out;
    for (const auto& e : entries) out.push_back(e.seq);
    return out;
  }

  std::vector<StatusEntry> ReadAfter(StatusSource& source, int64_t after, int limit = 500) {
    auto r = source.ReadAfter(after, limit);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : std::vector<StatusEntry>{};
  }
};

PgStatusEntries Entries(std::initializer_list<const char*> types) {
  PgStatusEntries entries;
  int64_t at = 1'700'000'000'000;
  for (const char* type : types) entries.Append(type, at++, {{"name", type}});
  return entries;
}

TEST_F(PgStatusLogTest, ATransactionsEntriesGetConsecutiveSeqsInTheirOrder) {
  PgPool pool(url());
  PgStatusSource source(pool);
  auto last = source.LastSeq();
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(*last, 0);

  auto conn = Connect();
  ASSERT_TRUE(conn);
  auto txn = PgTransaction::Begin(*conn);
  ASSERT_TRUE(txn.ok());
  auto written = CommitWithStatus(**txn, Entries({"event.received", "message.created", "x.y"}));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 3);
  EXPECT_FALSE(conn->in_transaction());

  auto all = ReadAfter(source, 0);
  ASSERT_EQ(Seqs(all), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(all[0].type, "event.received");
  EXPECT_EQ(all[0].at_ms, 1'700'000'000'000);
  EXPECT_EQ(all[0].data_text, R"({"name":"event.received"})");
  EXPECT_TRUE(all[0].data.is_null());  // text only, as the SQLite source reads it
  EXPECT_EQ(all[2].type, "x.y");
  EXPECT_EQ(all[2].at_ms, 1'700'000'000'002);
  EXPECT_EQ(Seqs(ReadAfter(source, 1, 1)), (std::vector<int64_t>{2}));
  last = source.LastSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3);

  // No entries: the transaction commits, no seq is taken.
  auto empty = PgTransaction::Begin(*conn);
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(conn->Exec("INSERT INTO commit_check (k) VALUES (1)").ok());
  written = CommitWithStatus(**empty, PgStatusEntries{});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 0);
  auto kept = conn->Exec("SELECT count(*) FROM commit_check");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->Int(0, 0).value(), 1);
  EXPECT_EQ(source.LastSeq().value(), 3);
}

TEST_F(PgStatusLogTest, TwoNodesCommittingInReverseOrderAreReadInSeqOrderWithNoneSkipped) {
  PgPool node_a(url());
  PgPool node_b(url());
  PgPool reader_pool(url());
  PgStatusSource reader(reader_pool);

  auto a = node_a.Acquire();
  auto b = node_b.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  // a begins first and does its other work first...
  auto ta = PgTransaction::Begin(**a);
  ASSERT_TRUE(ta.ok());
  ASSERT_TRUE((*a)->Exec("INSERT INTO commit_check (k) VALUES (1)").ok());
  PgStatusEntries from_a = Entries({"a.first", "a.second"});
  auto tb = PgTransaction::Begin(**b);
  ASSERT_TRUE(tb.ok());
  ASSERT_TRUE((*b)->Exec("INSERT INTO commit_check (k) VALUES (2)").ok());
  // ... and b commits first.
  auto b_last = CommitWithStatus(**tb, Entries({"b.first", "b.second"}));
  ASSERT_TRUE(b_last.ok()) << b_last.status().ToString();
  EXPECT_EQ(*b_last, 2);

  int64_t last = 0;
  auto seen = ReadAfter(reader, last);
  ASSERT_EQ(Seqs(seen), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(seen[0].type, "b.first");
  last = seen.back().seq;

  // a, committing later, still lands after everything the reader has seen.
  auto a_last = CommitWithStatus(**ta, std::move(from_a));
  ASSERT_TRUE(a_last.ok()) << a_last.status().ToString();
  EXPECT_EQ(*a_last, 4);
  seen = ReadAfter(reader, last);
  ASSERT_EQ(Seqs(seen), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(seen[0].type, "a.first");
  EXPECT_EQ(seen[1].type, "a.second");
  EXPECT_TRUE(ReadAfter(reader, 4).empty());
}

TEST_F(PgStatusLogTest, ATransactionThatDoesNotCommitLeavesNoEntryAndNoGap) {
  PgPool pool(url());
  PgStatusSource source(pool);
  auto conn = Connect();
  ASSERT_TRUE(conn);

  // Given up before its end: its entries were never written.
  {
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    PgStatusEntries entries = Entries({"abandoned"});
    ASSERT_TRUE((*txn)->Rollback().ok());
  }
  // Failing at COMMIT, after its entries were written with seqs 1 and 2: they go with it.
  {
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO commit_check (k) VALUES (7), (7)").ok());
    auto written = CommitWithStatus(**txn, Entries({"doomed.one", "doomed.two"}));
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.status().code(), "unique_violation") << written.status().ToString();
    EXPECT_FALSE(conn->in_transaction());
  }
  // A statement of the append itself failing (a text PostgreSQL refuses) rolls back too.
  {
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    PgStatusEntries entries;
    entries.AppendText("bad.text", 0, std::string("{\"a\":\"\0\"}", 10));
    EXPECT_FALSE(CommitWithStatus(**txn, std::move(entries)).ok());
    EXPECT_FALSE(conn->in_transaction());
  }
  EXPECT_TRUE(ReadAfter(source, 0).empty());
  EXPECT_EQ(source.LastSeq().value(), 0);

  // The next commit takes seq 1: a reader at 0 is not left waiting for a seq that will never come.
  auto txn = PgTransaction::Begin(*conn);
  ASSERT_TRUE(txn.ok());
  auto written = CommitWithStatus(**txn, Entries({"kept"}));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, 1);
  auto seen = ReadAfter(source, 0);
  ASSERT_EQ(Seqs(seen), (std::vector<int64_t>{1}));
  EXPECT_EQ(seen[0].type, "kept");
}

// Two nodes, two writer threads each; transactions of one to three entries that take their time
// between BEGIN and their end, a fifth given up and a seventh failing at COMMIT. A reader that
// always asks for what follows the highest seq it has seen, in small pages, must see every
// committed entry once, in seq order, with no gap, and each transaction's entries together.
TEST_F(PgStatusLogTest, UnderConcurrentNodesAReaderThatFollowsTheHighestSeqMissesNothing) {
  constexpr int kNodes = 2;
  constexpr int kThreadsPerNode = 2;
  constexpr int kTransactions = 30;
  std::vector<std::unique_ptr<PgPool>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(std::make_unique<PgPool>(url()));
  std::atomic<int64_t> next_key{1000};
  std::atomic<int> unexpected{0};
  std::atomic<int> writers_done{0};
  std::mutex mu;
  std::set<std::string> committed;  // guarded by mu: data texts of committed entries

  std::vector<std::thread> writers;
  for (int n = 0; n < kNodes; ++n) {
    for (int t = 0; t < kThreadsPerNode; ++t) {
      writers.emplace_back([&, n, t] {
        std::mt19937 rng(n * 10 + t);
        for (int i = 0; i < kTransactions; ++i) {
          auto conn = nodes[n]->Acquire();
          if (!conn.ok()) {
            ++unexpected;
            continue;
          }
          auto txn = PgTransaction::Begin(**conn);
          if (!txn.ok()) {
            ++unexpected;
            continue;
          }
          const int64_t key = next_key++;
          const bool give_up = i % 5 == 4;
          const bool fail_at_commit = i % 7 == 6;
          std::string insert = "INSERT INTO commit_check (k) VALUES ($1)";
          if (fail_at_commit) insert += ", ($1)";
          if (!(*conn)->Exec(insert, {key}).ok()) ++unexpected;
          PgStatusEntries entries;
          std::vector<std::string> texts;
          const int count = 1 + static_cast<int>(rng() % 3);
          for (int e = 0; e < count; ++e) {
            nlohmann::json data = {{"node", n}, {"thread", t}, {"txn", i}, {"entry", e}};
            texts.push_back(StatusDataText(data));
            entries.Append("test.entry", key, data);
          }
          std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
          if (give_up) {
            if (!(*txn)->Rollback().ok()) ++unexpected;
            continue;
          }
          auto written = CommitWithStatus(**txn, std::move(entries));
          if (written.ok() == fail_at_commit) ++unexpected;
          if (written.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            committed.insert(texts.begin(), texts.end());
          }
        }
        ++writers_done;
      });
    }
  }

  PgPool reader_pool(url());
  PgStatusSource reader(reader_pool);
  int64_t last = 0;
  std::vector<StatusEntry> seen;
  std::vector<int64_t> gaps;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const bool writers_finished = writers_done.load() == kNodes * kThreadsPerNode;
    auto page = ReadAfter(reader, last, 7);
    for (auto& e : page) {
      if (e.seq != last + 1) gaps.push_back(e.seq);
      last = e.seq;
      seen.push_back(std::move(e));
    }
    // Read once more after the writers finished, until a read comes back empty.
    if (writers_finished && page.empty()) break;
  }
  for (auto& w : writers) w.join();

  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_TRUE(gaps.empty()) << "the reader jumped to seq " << gaps.front();
  EXPECT_EQ(reader.LastSeq().value(), last);
  std::multiset<std::string> seen_texts;
  for (const auto& e : seen) seen_texts.insert(e.data_text);
  std::multiset<std::string> committed_texts(committed.begin(), committed.end());
  EXPECT_EQ(seen_texts, committed_texts);
  EXPECT_GT(committed.size(), 50u);
  // A transaction's entries are consecutive and in the order appended.
  for (size_t i = 1; i < seen.size(); ++i) {
    auto prev = nlohmann::json::parse(seen[i - 1].data_text);
    auto cur = nlohmann::json::parse(seen[i].data_text);
    if (cur["entry"] != 0) {
      EXPECT_EQ(cur["entry"].get<int>(), prev["entry"].get<int>() + 1) << seen[i].data_text;
      EXPECT_EQ(cur["txn"], prev["txn"]);
      EXPECT_EQ(cur["node"], prev["node"]);
      EXPECT_EQ(cur["thread"], prev["thread"]);
    }
  }
}

TEST_F(PgStatusLogTest, ACommitWithEntriesNotifiesItsLastSeqAndNothingElseDoes) {
  auto listener = PgListener::Connect(url());
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  ASSERT_TRUE((*listener)->Listen(kPgStatusChannel).ok());
  auto conn = Connect();
  ASSERT_TRUE(conn);

  {  // rolled back, and empty: no notification
    auto txn = PgTransaction::Begin(*conn);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO commit_check (k) VALUES (1), (1)").ok());
    EXPECT_FALSE(CommitWithStatus(**txn, Entries({"doomed"})).ok());
    auto empty = PgTransaction::Begin(*conn);
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(CommitWithStatus(**empty, PgStatusEntries{}).ok());
  }
  auto none = (*listener)->Wait(milliseconds(200));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto txn = PgTransaction::Begin(*conn);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(CommitWithStatus(**txn, Entries({"one", "two", "three"})).ok());
  auto got = (*listener)->Wait(milliseconds(5000));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].channel, kPgStatusChannel);
  EXPECT_EQ((*got)[0].payload, "3");
  EXPECT_EQ((*got)[0].sender_pid, conn->backend_pid());
}

// The same entries appended through the SQLite log (AppendStatus, AppendStatusText) and through
// PgStatusEntries read back as the same stored text, the same entry JSON and the same SSE block.
TEST_F(PgStatusLogTest, AnEntryReadsBackAsTheSqliteLogGivesIt) {
  struct Input {
    const char* type;
    int64_t at_ms;
    nlohmann::json data;
  };
  const std::vector<Input> inputs = {
      {"event.received",
       1'700'000'000'123,
       {{"source_id", "src_1"}, {"event_id", "evt_1"}, {"app_id", "app_default"}}},
      {"delivery.retrying",
       1'700'000'001'000,
       {{"z", 1},
        {"delivery_id", "dlv_1"},
        {"attempt", 3},
        {"latency_ms", 12.5},
        {"next_attempt_at", nullptr},
        {"ok", false}}},
      {"endpoint.disabled",
       0,
       {{"reason", "quotes \" backslash \\ tab \t newline \n nul-escape \\u0000 é ☃ 😀"},
        {"nested", {{"b", {1, 2, {{"c", "d"}}}}, {"a", nlohmann::json::object()}}}}},
      {"message.created", 253'402'300'799'999, nlohmann::json::object()},
  };
  const std::string text = R"({"app_id":"app_x","endpoint_id":"ep_1","status":"failed"})";

  testing::TempDir dir;
  auto sqlite_pool = testing::MigratedPool(dir.path() + "/hookd.db");
  {
    auto db = sqlite_pool->Acquire();
    ASSERT_TRUE(db.ok());
    auto txn = Transaction::Begin(**db);
    ASSERT_TRUE(txn.ok());
    for (const auto& in : inputs) ASSERT_TRUE(AppendStatus(**db, in.type, in.at_ms, in.data).ok());
    ASSERT_TRUE(AppendStatusText(**db, "delivery.failed", 42, text).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto conn = Connect();
  ASSERT_TRUE(conn);
  PgStatusEntries entries;
  for (const auto& in : inputs) entries.Append(in.type, in.at_ms, in.data);
  entries.AppendText("delivery.failed", 42, text);
  auto txn = PgTransaction::Begin(*conn);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE(CommitWithStatus(**txn, std::move(entries)).ok());

  SqliteStatusSource sqlite_source(*sqlite_pool);
  PgPool pg_pool(url());
  PgStatusSource pg_source(pg_pool);
  auto from_sqlite = ReadAfter(sqlite_source, 0);
  auto from_pg = ReadAfter(pg_source, 0);
  ASSERT_EQ(from_sqlite.size(), inputs.size() + 1);
  ASSERT_EQ(from_pg.size(), from_sqlite.size());
  for (size_t i = 0; i < from_pg.size(); ++i) {
    const StatusEntry& s = from_sqlite[i];
    const StatusEntry& p = from_pg[i];
    EXPECT_EQ(p.seq, s.seq);
    EXPECT_EQ(p.type, s.type);
    EXPECT_EQ(p.at_ms, s.at_ms);
    EXPECT_EQ(p.data_text, s.data_text);
    StatusEntry parsed_s = s;
    StatusEntry parsed_p = p;
    parsed_s.data = nlohmann::json::parse(s.data_text);
    parsed_p.data = nlohmann::json::parse(p.data_text);
    EXPECT_EQ(StatusEntryJson(parsed_p).dump(), StatusEntryJson(parsed_s).dump());
    auto stream_s = MakeStreamEntry(s);
    auto stream_p = MakeStreamEntry(p);
    EXPECT_EQ(*stream_p->json, *stream_s->json);
    EXPECT_EQ(*stream_p->sse, *stream_s->sse);
    EXPECT_EQ(stream_p->endpoint_id, stream_s->endpoint_id);
    EXPECT_EQ(stream_p->app_id, stream_s->app_id);
  }
  EXPECT_EQ(from_pg.back().data_text, text);
}

}  // namespace
}  // namespace hookd
