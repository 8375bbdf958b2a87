// WalCheckpointer and DbOptions::auto_checkpoint against a real SQLite file.
#include "common/wal_checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

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

TEST_F(WalCheckpointerTest, CopiesTheWalSoTheNextWriterStartsItOver) {
  WalCheckpointer checkpointer(path_, options_, milliseconds(5));
  ASSERT_TRUE(checkpointer.Start().ok());
  Write(3);
  // Wait until every frame written is in the database: a 32-byte header, then 4 KiB pages
  // with 24-byte frame headers.
  const int written = static_cast<int>((WalBytes() - 32) / (4096 + 24));
  EXPECT_GT(written, 750);  // 3 MiB
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  WalState copied;
  while (std::chrono::steady_clock::now() < deadline) {
    copied = checkpointer.last_state();
    if (copied.checkpointed == written) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(copied.frames, written);
  EXPECT_EQ(copied.checkpointed, written);
  // The next transactions (1 MiB) start the WAL over instead of growing it: the first finds it
  // wholly copied.
  const uintmax_t before = WalBytes();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES (randomblob(102400))").ok());
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_LE(WalBytes(), before);
  checkpointer.Stop();
  // Stop ran a last checkpoint: every frame is in the database.
  Result<WalState> state = db_->Checkpoint();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->frames, state->checkpointed);
  checkpointer.Stop();  // idempotent
}

TEST_F(WalCheckpointerTest, ContinuousWritesStillGetTheWalStartedOver) {
  // 256 frames (1 MiB) before a RESTART checkpoint; 12 MiB written with barely a pause.
  WalCheckpointer checkpointer(path_, options_, milliseconds(5), 256);
  ASSERT_TRUE(checkpointer.Start().ok());
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES (randomblob(102400))").ok());
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_LT(WalBytes(), 8 * kMiB);
  checkpointer.Stop();
}

TEST_F(WalCheckpointerTest, AnUnopenableDatabaseIsAnError) {
  WalCheckpointer checkpointer(dir_.path() + "/missing/dir/t.db", options_, milliseconds(5));
  EXPECT_FALSE(checkpointer.Start().ok());
  checkpointer.Stop();  // nothing to stop
}

}  // namespace
}  // namespace hookd
