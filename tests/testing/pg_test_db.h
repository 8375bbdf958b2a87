// PgTest: a fixture giving each test a fresh, empty PostgreSQL database on the throwaway cluster
// named by HOOKD_TEST_PG_URL (scripts/run-tests.sh starts one with scripts/pg-cluster.sh), dropped
// afterwards. Without the variable the test is skipped, saying how to run it. PgTestDatabase is
// the same database for fixtures of their own. For tests only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "storage/pg/pg_conn.h"

namespace hookd::testing {

// `url` with its database replaced by `db` (libpq URI:
// postgres[ql]://[user@]host[:port][/db][?...]).
inline std::string PgUrlWithDatabase(const std::string& url, const std::string& db) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t query = url.find('?', scheme + 3);
  const size_t path = url.find('/', scheme + 3);
  const size_t end = query == std::string::npos ? url.size() : query;
  const size_t start = path == std::string::npos || path > end ? end : path;
  return url.substr(0, start) + "/" + db + url.substr(end);
}

// What a skipped PostgreSQL test says.
inline constexpr char kPgSkipMessage[] =
    "HOOKD_TEST_PG_URL is not set: these tests need a PostgreSQL (scripts/run-tests.sh starts "
    "one; by hand: export HOOKD_TEST_PG_URL=$(scripts/pg-cluster.sh start /tmp/hookd-pg))";

// A fresh, empty database on the cluster named by HOOKD_TEST_PG_URL, dropped by the destructor.
// For fixtures that cannot derive from PgTest (typed tests over both engines).
class PgTestDatabase {
 public:
  PgTestDatabase() = default;
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;
  ~PgTestDatabase() {
    if (db_name_.empty()) return;
    auto admin = PgConn::Connect(server_url_);
    if (!admin.ok()) return;
    (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + (*admin)->QuoteIdentifier(db_name_) +
                         " WITH (FORCE)");
  }

  // False when HOOKD_TEST_PG_URL is not set (the test should skip with kPgSkipMessage).
  static bool Configured() {
    const char* env = std::getenv("HOOKD_TEST_PG_URL");
    return env && *env;
  }

  // Creates the database; Configured() must be true.
  Status Create() {
    server_url_ = std::getenv("HOOKD_TEST_PG_URL");
    static std::atomic<int> counter{0};
    std::string name = "hookd_test_" + std::to_string(::getpid()) + "_";
    name += std::to_string(counter++);
    auto admin = PgConn::Connect(server_url_);
    if (!admin.ok()) return admin.status();
    auto created = (*admin)->Exec("CREATE DATABASE " + (*admin)->QuoteIdentifier(name));
    if (!created.ok()) return created.status();
    db_name_ = std::move(name);
    url_ = PgUrlWithDatabase(server_url_, db_name_);
    return Status::Ok();
  }

  const std::string& url() const { return url_; }

 private:
  std::string server_url_;
  std::string db_name_;
  std::string url_;
};

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgTestDatabase::Configured()) GTEST_SKIP() << kPgSkipMessage;
    Status s = db_.Create();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A new connection to this test's database; fails the test when there is none.
  std::unique_ptr<PgConn> Connect() {
    auto conn = PgConn::Connect(url());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(conn).value() : nullptr;
  }

  const std::string& url() const { return db_.url(); }

 private:
  PgTestDatabase db_;
};

}  // namespace hookd::testing
