// PostgreSQL's migration runner: the embedded migrations apply once, runners starting together on
// an empty database all succeed and the schema is applied once (the advisory lock), a database
// from a newer hookd is refused, and a failing migration is rolled back without keeping the lock.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_migrations.h"
#include "tests/testing/pg_test_db.h"

namespace hookd {
namespace {

class PgMigrationsTest : public testing::PgTest {};

// The advisory locks held in this test's own database (pg_locks is the whole cluster's, and the
// suites run in parallel, each in a database of its own).
constexpr char kOwnAdvisoryLocks[] =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

int64_t Scalar(PgConn& conn, const std::string& sql) {
  auto r = conn.Exec(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->rows() == 1 ? r->Int(0, 0).value() : -1;
}

// Every connection applies `migrations` at once, from its own thread, released together.
std::vector<Status> RunTogether(std::vector<std::unique_ptr<PgConn>>& conns,
                                const std::vector<Migration>& migrations) {
  std::atomic<size_t> ready{0};
  std::vector<Status> results(conns.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < conns.size(); ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < conns.size()) std::this_thread::yield();
      results[i] = ApplyPgMigrations(*conns[i], migrations);
    });
  }
  for (auto& t : threads) t.join();
  return results;
}

TEST_F(PgMigrationsTest, TheEmbeddedMigrationsApplyOnceAndAgainDoNothing) {
  const auto& all = EmbeddedPgMigrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  EXPECT_EQ(all.front().name, "0001_status_log.sql");
  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(ApplyPgMigrations(*conn, all).ok());
  ASSERT_TRUE(ApplyPgMigrations(*conn, all).ok());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(all.size()));
  EXPECT_EQ(Scalar(*conn, "SELECT seq FROM status_log_head"), 0);
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM status_log"), 0);
  // The lock is not left held.
  EXPECT_EQ(Scalar(*conn, kOwnAdvisoryLocks), 0);
}

TEST_F(PgMigrationsTest, RunnersStartingTogetherAllSucceedAndApplyTheSchemaOnce) {
  // A slow first migration keeps the others waiting on the lock; a second run of any of these
  // would fail ("already exists"), and the counter would show it.
  const std::vector<Migration> migrations = {
      {1, "0001_a.sql",
       "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE runs (n int);"
       "INSERT INTO runs VALUES (1); SELECT pg_sleep(0.3);"},
      {2, "0002_b.sql", "CREATE TABLE b (id int PRIMARY KEY); UPDATE runs SET n = n + 1;"},
  };
  constexpr int kRunners = 4;
  std::vector<std::unique_ptr<PgConn>> conns;
  for (int i = 0; i < kRunners; ++i) {
    conns.push_back(Connect());
    ASSERT_TRUE(conns.back());
  }
  for (const Status& s : RunTogether(conns, migrations)) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Scalar(*conns[0], "SELECT count(*) FROM schema_migrations"), 2);
  EXPECT_EQ(Scalar(*conns[0], "SELECT n FROM runs"), 2);  // each migration ran once
}

TEST_F(PgMigrationsTest, TheEmbeddedMigrationsFromRunnersStartingTogether) {
  std::vector<std::unique_ptr<PgConn>> conns;
  for (int i = 0; i < 4; ++i) {
    conns.push_back(Connect());
    ASSERT_TRUE(conns.back());
  }
  for (const Status& s : RunTogether(conns, EmbeddedPgMigrations()))
    EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Scalar(*conns[0], "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(EmbeddedPgMigrations().size()));
  EXPECT_EQ(Scalar(*conns[0], "SELECT count(*) FROM status_log_head"), 1);
}

TEST_F(PgMigrationsTest, ADatabaseFromANewerHookdIsRefusedAndLeftAlone) {
  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(ApplyPgMigrations(*conn, EmbeddedPgMigrations()).ok());
  ASSERT_TRUE(conn->ExecScript("INSERT INTO schema_migrations (version, name) "
                               "VALUES (9999, '9999_future.sql')")
                  .ok());
  const std::vector<Migration> with_new = {EmbeddedPgMigrations().front(),
                                           {5000, "5000_new.sql", "CREATE TABLE new_one (x int)"}};
  const Status s = ApplyPgMigrations(*conn, with_new);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), "database_too_new");
  EXPECT_NE(s.message().find("schema version 9999"), std::string::npos) << s.message();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'new_one'"), 0);
  EXPECT_EQ(Scalar(*conn, kOwnAdvisoryLocks), 0);
}

TEST_F(PgMigrationsTest, AFailingMigrationIsRolledBackAndReleasesTheLock) {
  auto conn = Connect();
  auto other = Connect();
  ASSERT_TRUE(conn && other);
  const std::vector<Migration> migrations = {
      {1, "0001_ok.sql", "CREATE TABLE ok (x int)"},
      {2, "0002_broken.sql", "CREATE TABLE half (x int); SELEC 1;"},
  };
  const Status s = ApplyPgMigrations(*conn, migrations);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("migration 0002_broken.sql"), std::string::npos) << s.message();
  EXPECT_FALSE(conn->in_transaction());
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), 0);
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM pg_tables WHERE tablename = 'ok'"), 1);
  EXPECT_EQ(Scalar(*other, "SELECT max(version) FROM schema_migrations"), 1);
  // Another node can take the lock at once.
  auto got = other->Exec("SELECT pg_try_advisory_lock($1)", {kPgMigrationLockKey});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->Bool(0, 0).value());
}

}  // namespace
}  // namespace hookd
