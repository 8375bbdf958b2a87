// `hookd backup`'s copy (app/backup_file.h, common/db_backup.h) against a real SQLite file that
// another connection keeps writing to, as hookd does while it serves.
#include "app/backup_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/db.h"
#include "common/db_backup.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using testing::TempDir;

int64_t QueryInt(Db& db, const std::string& sql) {
  auto st = db.Prepare(sql);
  if (!st.ok()) return -1;
  auto row = st->Step();
  return row.ok() && *row ? st->Int(0) : -1;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 07777;
}

// The names in `dir`, sorted.
std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_.path() + "/hookd.db";
    pool_ = testing::MigratedPool(db_path_);
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    // Two tables written in one transaction each time: a consistent copy has as many rows in one
    // as in the other.
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE a (id INTEGER PRIMARY KEY, body BLOB);"
                           "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL)")
                    .ok());
    for (int i = 0; i < 40; ++i) InsertBatch(**db, 50);  // 2,000 rows of 1 KiB: ~600 pages
  }

  // Inserts `n` rows into a and into b in one transaction; returns the last id.
  static int64_t InsertBatch(Db& db, int n) {
    auto txn = Transaction::Begin(db);
    if (!txn.ok()) return -1;
    int64_t last = -1;
    for (int i = 0; i < n; ++i) {
      auto ins = db.Cached("INSERT INTO a (body) VALUES (zeroblob(1024)) RETURNING id");
      if (!ins.ok()) return -1;
      auto row = (*ins)->Step();
      if (!row.ok() || !*row) return -1;
      last = (*ins)->Int(0);
      (*ins)->Reset();
      auto b = db.Cached("INSERT INTO b (a_id) VALUES (?)");
      if (!b.ok() || !(*b)->Bind(1, last).Run().ok()) return -1;
    }
    if (!(*txn)->Commit().ok()) return -1;
    return last;
  }

  TempDir dir_;
  std::string db_path_;
  std::unique_ptr<DbPool> pool_;
};

TEST_F(BackupTest, ACopyTakenWhileAWriterCommitsIsCompleteConsistentAndIntact) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> last_committed{0};
  std::atomic<int> commits{0};
  {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    last_committed = QueryInt(**db, "SELECT MAX(id) FROM a");
  }
  std::thread writer([&] {
    auto db = Db::Open(db_path_, DbOptions{});
    if (!db.ok()) return;
    while (!stop) {
      const int64_t last = InsertBatch(**db, 5);
      if (last < 0) break;
      last_committed = last;
      ++commits;
    }
  });
  // Let the writer get going, then note what is committed before the backup begins.
  while (commits < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int64_t committed_before = last_committed;
  const int commits_before = commits;

  BackupOptions options;
  options.pages_per_step = 16;
  int commits_between_steps = 0;
  options.on_step = [&](int, int) {
    // Wait for the writer to commit between two steps: each commit would restart a copy that
    // did not hold its snapshot.
    const int seen = commits;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (commits == seen && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (commits > seen) ++commits_between_steps;
  };
  const std::string target = dir_.path() + "/backup.db";
  auto stats = BackupToFile(db_path_, target, /*force=*/false, options);
  stop = true;
  writer.join();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();

  EXPECT_GT(stats->pages, 500);
  EXPECT_GE(stats->steps, stats->pages / 16);
  EXPECT_LE(stats->steps, stats->pages / 16 + 2) << "the copy restarted";
  EXPECT_GT(commits_between_steps, 10) << "the writer did not write during the backup";
  EXPECT_GT(commits.load(), commits_before);

  EXPECT_TRUE(CheckDatabaseIntegrity(target).ok());
  EXPECT_EQ(ModeOf(target), 0600u);
  EXPECT_EQ(Files(dir_.path()),
            (std::vector<std::string>{"backup.db", "hookd.db", "hookd.db-shm", "hookd.db-wal"}))
      << "a temporary or -wal file was left beside the copy";
  auto copy = Db::Open(target, DbOptions{});
  ASSERT_TRUE(copy.ok());
  const int64_t rows = QueryInt(**copy, "SELECT COUNT(*) FROM a");
  // Every row committed before the backup began, with no gap, and the other table in step.
  EXPECT_GE(rows, committed_before);
  EXPECT_EQ(QueryInt(**copy, "SELECT MAX(id) FROM a"), rows);
  EXPECT_EQ(QueryInt(**copy, "SELECT COUNT(*) FROM b"), rows);
  // One snapshot: the commits made while it copied are not in it.
  auto live = pool_->Acquire();
  ASSERT_TRUE(live.ok());
  EXPECT_LT(rows, QueryInt(**live, "SELECT COUNT(*) FROM a"));
  // hookd's own schema came along.
  EXPECT_EQ(QueryInt(**copy, "SELECT MAX(version) FROM schema_migrations"),
            QueryInt(**live, "SELECT MAX(version) FROM schema_migrations"));
}

TEST_F(BackupTest, AnExistingTargetIsRefusedWithoutForceAndReplacedWithIt) {
  const std::string target = dir_.path() + "/backup.db";
  { std::ofstream(target) << "precious"; }
  ::chmod(target.c_str(), 0644);
  auto refused = BackupToFile(db_path_, target, /*force=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "target_exists");
  EXPECT_NE(refused.status().message().find(target), std::string::npos);
  EXPECT_NE(refused.status().message().find("--force"), std::string::npos);
  std::string content;
  std::getline(std::ifstream(target), content);
  EXPECT_EQ(content, "precious");

  auto replaced = BackupToFile(db_path_, target, /*force=*/true);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_TRUE(CheckDatabaseIntegrity(target).ok());
  EXPECT_EQ(ModeOf(target), 0600u);
}

TEST_F(BackupTest, AMissingDatabaseIsAnErrorNamingItAndWritesNothing) {
  const std::string missing = dir_.path() + "/nowhere/hookd.db";
  const std::string target = dir_.path() + "/backup.db";
  auto r = BackupToFile(missing, target, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no database at " + missing), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(BackupTest, AnUnwritableTargetIsAnErrorNamingItAndLeavesNoTemporaryFile) {
  // A directory that does not exist (permissions do not stop root, which runs the tests in CI).
  const std::string target = dir_.path() + "/missing-dir/backup.db";
  auto r = BackupToFile(db_path_, target, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot write " + target), std::string::npos)
      << r.status().message();

  // A directory as the target, even with --force.
  const std::string as_dir = dir_.path() + "/adir";
  ASSERT_EQ(::mkdir(as_dir.c_str(), 0700), 0);
  auto d = BackupToFile(db_path_, as_dir, true);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("is a directory"), std::string::npos);
  EXPECT_EQ(Files(dir_.path()),
            (std::vector<std::string>{"adir", "hookd.db", "hookd.db-shm", "hookd.db-wal"}));
}

TEST_F(BackupTest, TheLiveDatabaseIsNeverTheTargetEvenWithForce) {
  for (const std::string& target :
       {db_path_, db_path_ + "-wal", dir_.path() + "/./hookd.db",
        dir_.path() + "/../" + std::filesystem::path(dir_.path()).filename().string() +
            "/hookd.db"}) {
    auto r = BackupToFile(db_path_, target, true);
    ASSERT_FALSE(r.ok()) << target;
    EXPECT_NE(r.status().message().find("is the live database"), std::string::npos)
        << r.status().message();
  }
  auto db = pool_->Acquire();
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(QueryInt(**db, "SELECT COUNT(*) FROM a"), 2000);
}

TEST_F(BackupTest, ADamagedCopyFailsTheIntegrityCheck) {
  const std::string target = dir_.path() + "/backup.db";
  ASSERT_TRUE(BackupToFile(db_path_, target, false).ok());
  ASSERT_TRUE(CheckDatabaseIntegrity(target).ok());
  // Overwrite a page in the middle of the copy with garbage.
  {
    std::fstream f(target, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 300);
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Status s = CheckDatabaseIntegrity(target);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(target), std::string::npos) << s.message();
}

}  // namespace
}  // namespace hookd
