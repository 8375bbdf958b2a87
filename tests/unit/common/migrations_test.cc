#include "common/migrations.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using hookd::testing::TempDir;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = OpenDb(); }

  std::unique_ptr<Db> OpenDb() {
    auto db = Db::Open(dir_.path() + "/hookd.db", DbOptions{});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  int64_t QueryInt(const std::string& sql) {
    auto st = db_->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql << ": " << st.status().ToString();
    if (!st.ok()) return -1;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return st->Int(0);
  }

  bool TableExists(const std::string& name) {
    auto st = db_->Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
    EXPECT_TRUE(st.ok());
    st->Bind(1, name);
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Int(0) == 1;
  }

  std::vector<int64_t> RecordedVersions() {
    std::vector<int64_t> out;
    auto st = db_->Prepare("SELECT version FROM schema_migrations ORDER BY version");
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return out;
    while (true) {
      auto row = st->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      out.push_back(st->Int(0));
    }
    return out;
  }

  // The schema as text, to compare before and after.
  std::string SchemaDump() {
    std::string out;
    auto st = db_->Prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY name");
    EXPECT_TRUE(st.ok());
    while (true) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      out += st->Text(0) + " " + st->Text(1) + " " + st->Text(2) + "\n";
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(MigrationsTest, EmbeddedMigrationsAreOrderedAndNonEmpty) {
  const auto& all = EmbeddedMigrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_GT(all[i].version, 0);
    EXPECT_FALSE(all[i].name.empty());
    EXPECT_FALSE(all[i].sql.empty()) << all[i].name;
    if (i > 0) {
      EXPECT_GT(all[i].version, all[i - 1].version) << all[i].name;
    }
  }
}

TEST_F(MigrationsTest, AppliesEmbeddedMigrationsAndRecordsVersions) {
  ASSERT_NE(db_, nullptr);
  Status s = ApplyMigrations(*db_, EmbeddedMigrations());
  ASSERT_TRUE(s.ok()) << s.ToString();

  std::vector<int64_t> want;
  for (const auto& m : EmbeddedMigrations()) want.push_back(m.version);
  EXPECT_EQ(RecordedVersions(), want);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM schema_migrations WHERE name = '' OR applied_at <= 0"),
            0);
  // 0001_init's tables.
  EXPECT_TRUE(TableExists("sources"));
  EXPECT_TRUE(TableExists("events"));
  EXPECT_TRUE(TableExists("status_log"));
}

TEST_F(MigrationsTest, ApplyingTwiceIsANoOp) {
  ASSERT_NE(db_, nullptr);
  ASSERT_TRUE(ApplyMigrations(*db_, EmbeddedMigrations()).ok());
  const std::string schema = SchemaDump();
  const auto versions = RecordedVersions();
  ASSERT_TRUE(db_->Exec("INSERT INTO status_log (type, at, data) VALUES ('t', 1, '{}')").ok());

  Status s = ApplyMigrations(*db_, EmbeddedMigrations());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(SchemaDump(), schema);
  EXPECT_EQ(RecordedVersions(), versions);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM status_log"), 1);

  // Also across a reopen, as at a restart.
  db_ = OpenDb();
  ASSERT_NE(db_, nullptr);
  ASSERT_TRUE(ApplyMigrations(*db_, EmbeddedMigrations()).ok());
  EXPECT_EQ(SchemaDump(), schema);
  EXPECT_EQ(RecordedVersions(), versions);
}

TEST_F(MigrationsTest, RefusesADatabaseNewerThanThisBinary) {
  ASSERT_NE(db_, nullptr);
  int newest = 0;
  for (const auto& m : EmbeddedMigrations()) newest = std::max(newest, m.version);
  // A newer hookd recorded a version this binary does not know, and nothing else yet.
  ASSERT_TRUE(db_->Exec("CREATE TABLE schema_migrations ("
                        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " applied_at INTEGER NOT NULL)")
                  .ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO schema_migrations VALUES (" + std::to_string(newest + 1) +
                        ", '9999_future.sql', 1)")
                  .ok());
  const std::string schema = SchemaDump();

  Status s = ApplyMigrations(*db_, EmbeddedMigrations());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), "database_too_new");
  EXPECT_EQ(s.kind(), ErrorKind::kConflict);
  // Both versions, and what the operator can do: the newer binary, or a backup.
  EXPECT_NE(s.message().find("schema version " + std::to_string(newest + 1)), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("versions up to " + std::to_string(newest)), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("newer hookd"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("restore a backup"), std::string::npos) << s.message();
  EXPECT_EQ(SchemaDump(), schema);
  EXPECT_FALSE(TableExists("sources"));
  EXPECT_EQ(RecordedVersions(), std::vector<int64_t>{newest + 1});
}

TEST_F(MigrationsTest, RefusesNewerDatabaseAfterPartialUpgrade) {
  ASSERT_NE(db_, nullptr);
  const std::vector<Migration> v1 = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  const std::vector<Migration> v2 = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                                     {2, "0002_b.sql", "CREATE TABLE b (x INTEGER);"}};
  ASSERT_TRUE(ApplyMigrations(*db_, v2).ok());
  Status s = ApplyMigrations(*db_, v1);
  EXPECT_EQ(s.code(), "database_too_new");
  EXPECT_TRUE(TableExists("b"));
  EXPECT_EQ(RecordedVersions(), (std::vector<int64_t>{1, 2}));
}

TEST_F(MigrationsTest, AppliesOnlyNewerMigrations) {
  ASSERT_NE(db_, nullptr);
  std::vector<Migration> ms = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  ASSERT_TRUE(ApplyMigrations(*db_, ms).ok());
  ASSERT_TRUE(db_->Exec("INSERT INTO a VALUES (7)").ok());
  ms.push_back({2, "0002_b.sql", "CREATE TABLE b (x INTEGER); INSERT INTO b SELECT x FROM a;"});
  ASSERT_TRUE(ApplyMigrations(*db_, ms).ok());
  EXPECT_EQ(RecordedVersions(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM a"), 1);  // 0001 not re-run
  EXPECT_EQ(QueryInt("SELECT x FROM b"), 7);
}

TEST_F(MigrationsTest, AMigrationThatLandedAfterANewerOneIsStillApplied) {
  ASSERT_NE(db_, nullptr);
  std::vector<Migration> ms = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                               {3, "0003_c.sql", "CREATE TABLE c (x INTEGER);"}};
  ASSERT_TRUE(ApplyMigrations(*db_, ms).ok());
  ms.insert(ms.begin() + 1, {2, "0002_b.sql", "CREATE TABLE b (x INTEGER);"});
  ASSERT_TRUE(ApplyMigrations(*db_, ms).ok());
  EXPECT_EQ(RecordedVersions(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 1);
}

TEST_F(MigrationsTest, FailedMigrationLeavesNoPartialChanges) {
  ASSERT_NE(db_, nullptr);
  std::vector<Migration> ms = {
      {1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
      // The first two statements succeed before the third fails.
      {2, "0002_bad.sql",
       "CREATE TABLE partial (x INTEGER);\n"
       "INSERT INTO a VALUES (1);\n"
       "THIS IS NOT SQL;\n"},
      {3, "0003_c.sql", "CREATE TABLE c (x INTEGER);"},
  };
  Status s = ApplyMigrations(*db_, ms);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("0002_bad.sql"), std::string::npos) << s.message();

  EXPECT_TRUE(TableExists("a"));
  EXPECT_FALSE(TableExists("partial"));
  EXPECT_FALSE(TableExists("c"));  // later migrations are not attempted
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM a"), 0);
  EXPECT_EQ(RecordedVersions(), std::vector<int64_t>{1});

  // The connection is usable and outside any transaction: fixing the migration and re-running
  // picks up where it stopped.
  ms[1].sql = "CREATE TABLE partial (x INTEGER); INSERT INTO a VALUES (1);";
  s = ApplyMigrations(*db_, ms);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(TableExists("partial"));
  EXPECT_TRUE(TableExists("c"));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM a"), 1);
  EXPECT_EQ(RecordedVersions(), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(MigrationsTest, ConstraintFailureInAMigrationRollsBack) {
  ASSERT_NE(db_, nullptr);
  std::vector<Migration> ms = {
      {1, "0001_a.sql", "CREATE TABLE a (x INTEGER PRIMARY KEY);"},
      {2, "0002_dup.sql",
       "CREATE TABLE d (y); INSERT INTO a VALUES (1); INSERT INTO a VALUES (1);"},
  };
  Status s = ApplyMigrations(*db_, ms);
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(TableExists("d"));
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM a"), 0);
  EXPECT_EQ(RecordedVersions(), std::vector<int64_t>{1});
}

TEST_F(MigrationsTest, DatabaseIsInWalMode) {
  ASSERT_NE(db_, nullptr);
  auto st = db_->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  auto row = st->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(st->Text(0), "wal");

  // Foreign keys are on too (db.h).
  auto fk = db_->Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok());
  ASSERT_TRUE(fk->Step().ok());
  EXPECT_EQ(fk->Int(0), 1);
}

}  // namespace
}  // namespace hookd
