// WalCheckpointer and DbOptions::auto_checkpoint against a real SQLite file.
#include "common/wal_checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using std::chrono::milliseconds;

constexpr uintmax_t kMiB = 1024 * 1024;

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.auto_checkpoint = false;
    auto db = Db::Open(path_, options_);
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (v BLOB)").ok());
  }

  // Writes `mib` MiB in 100 KiB transactions.
  void Write(int mib) {
    for (int i = 0; i < mib * 10; ++i) {
      ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES (randomblob(102400))").ok());
    }
  }

  uintmax_t WalBytes() { return std::filesystem::file_size(path_ + "-wal"); }
  // Frames in the WAL file: a 32-byte header, then 4 KiB pages with 24-byte frame headers.
  int WalFrames() { return static_cast<int>((WalBytes() - 32) / (4096 + 24)); }

  testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/t.db";
  DbOptions options_;
  std::unique_ptr<Db> db_;
};

TEST_F(WalCheckpointerTest, WithoutAutomaticCheckpointsTheWalKeepsEveryFrame) {
  // SQLite's automatic checkpoint would copy the WAL back at 1,000 pages (~4 MiB) and reuse it.
  Write(6);
  EXPECT_GT(WalBytes(), 6 * kMiB);
}

TEST_F(WalCheckpointerTest, RunOnceCopiesTheWalSoTheNextWriterStartsItOver) {
  WalCheckpointer checkpointer(path_, options_, std::chrono::hours(1));
  ASSERT_TRUE(checkpointer.Open().ok());
  Write(3);
  const int written = WalFrames();
  EXPECT_GT(written, 750);  // 3 MiB
  Result<WalState> state = checkpointer.RunOnce();
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_EQ(state->frames, written);
  EXPECT_EQ(state->checkpointed, written);
  EXPECT_EQ(checkpointer.last_state().checkpointed, written);
  // The next transactions (1 MiB) start the WAL over instead of growing it: the first finds it
  // wholly copied.
  const uintmax_t before = WalBytes();
  Write(1);
  EXPECT_LE(WalBytes(), before);
}

TEST_F(WalCheckpointerTest, WithoutRunOnceTheWalGrows) {
  // The counterpart of the test above: the same writes with no checkpoint in between.
  Write(3);
  const uintmax_t before = WalBytes();
  Write(1);
  EXPECT_GT(WalBytes(), before);
}

TEST_F(WalCheckpointerTest, AReaderOfAnOldSnapshotDoesNotMakeTheCheckpointHoldTheWriters) {
  // A RESTART waits for readers with the write lock held: behind a reader that keeps its
  // snapshot (a backup copying), every writer would wait the busy timeout at each checkpoint.
  DbOptions options = options_;
  options.busy_timeout_ms = 3000;
  WalCheckpointer checkpointer(path_, options, std::chrono::hours(1), /*restart_frames=*/100);
  ASSERT_TRUE(checkpointer.Open().ok());
  auto reader = Db::Open(path_, options_);
  ASSERT_TRUE(reader.ok());
  Write(1);
  ASSERT_TRUE((*reader)->Exec("BEGIN; SELECT COUNT(*) FROM t").ok());  // holds this snapshot
  Write(1);
  const int written = WalFrames();
  ASSERT_GT(written, 100);

  const auto start = std::chrono::steady_clock::now();
  Result<WalState> state = checkpointer.RunOnce();
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_EQ(state->frames, written);
  EXPECT_LT(state->checkpointed, written);  // up to the reader's snapshot only
  // A writer meanwhile commits at once.
  const auto write_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES (1)").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - write_start, milliseconds(1000));

  // Once the reader is done, the next checkpoint copies everything and starts the WAL over.
  ASSERT_TRUE((*reader)->Exec("COMMIT").ok());
  state = checkpointer.RunOnce();
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_EQ(state->checkpointed, state->frames);
  const uintmax_t before = WalBytes();
  Write(1);
  EXPECT_LE(WalBytes(), before);
}

TEST_F(WalCheckpointerTest, StopRunsALastCheckpointOnItsThread) {
  // An hour's interval: the thread's only checkpoint is the last one, run by Stop.
  WalCheckpointer checkpointer(path_, options_, std::chrono::hours(1));
  ASSERT_TRUE(checkpointer.Start().ok());
  Write(1);
  const int written = WalFrames();
  EXPECT_EQ(checkpointer.last_state().checkpointed, 0);
  checkpointer.Stop();
  EXPECT_EQ(checkpointer.last_state().frames, written);
  EXPECT_EQ(checkpointer.last_state().checkpointed, written);
  checkpointer.Stop();  // idempotent
}

TEST_F(WalCheckpointerTest, SyncWalAfterACommitOfANormalSyncConnection) {
  DbOptions normal = options_;
  normal.synchronous = "NORMAL";
  auto db = Db::Open(path_, normal);
  ASSERT_TRUE(db.ok()) << db.status().message();
  auto txn = Transaction::Begin(**db);
  ASSERT_TRUE(txn.ok()) << txn.status().message();
  ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES (x'01')").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  Status s = (*db)->SyncWal();
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST_F(WalCheckpointerTest, RunOnceWithoutAConnectionIsAnError) {
  WalCheckpointer checkpointer(path_, options_, std::chrono::hours(1));
  Result<WalState> state = checkpointer.RunOnce();
  EXPECT_FALSE(state.ok());
  EXPECT_EQ(state.status().kind(), ErrorKind::kInternal);
}

TEST_F(WalCheckpointerTest, AnUnopenableDatabaseIsAnError) {
  WalCheckpointer checkpointer(dir_.path() + "/missing/dir/t.db", options_, milliseconds(5));
  EXPECT_FALSE(checkpointer.Open().ok());
  EXPECT_FALSE(checkpointer.Start().ok());
  EXPECT_FALSE(checkpointer.RunOnce().ok());
  checkpointer.Stop();  // nothing to stop
}

}  // namespace
}  // namespace hookd
