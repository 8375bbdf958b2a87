// Rollback (docs/OPERATIONS.md, "Upgrade and rollback"): a server started on a database that a
// newer hookd migrated refuses to start, names both schema versions and the ways out, and leaves
// the database as it was.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/server.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/migrations.h"
#include "common/random.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

TEST(SchemaVersionTest, AServerRefusesADatabaseFromANewerHookdAndLeavesItAlone) {
  testing::TempDir dir;
  const std::string db_path = dir.path() + "/hookd.db";
  int known = 0;
  for (const auto& m : EmbeddedMigrations()) known = std::max(known, m.version);
  {
    auto pool = testing::MigratedPool(db_path);
    auto db = pool->Acquire();
    ASSERT_TRUE(db.ok());
    // What a newer hookd leaves: a migration this binary has never heard of, and its table.
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE from_the_future (x INTEGER);"
                           "INSERT INTO schema_migrations VALUES (" +
                           std::to_string(known + 2) + ", '9999_future.sql', 1)")
                    .ok());
  }
  Settings settings;
  settings.data_dir = dir.path();
  settings.listen = {"127.0.0.1", 0};
  settings.stream_listen = {"127.0.0.1", 0};
  settings.admin_token = "a-test-token-long-enough-0123456789";
  SystemClock clock;
  SecureRandom random;
  auto server = Server::Create(settings, clock, random);
  ASSERT_FALSE(server.ok());
  const std::string message = server.status().message();
  EXPECT_EQ(server.status().code(), "database_too_new");
  EXPECT_NE(message.find("schema version " + std::to_string(known + 2)), std::string::npos)
      << message;
  EXPECT_NE(message.find("versions up to " + std::to_string(known)), std::string::npos) << message;
  EXPECT_NE(message.find("Run that newer hookd, or restore a backup"), std::string::npos)
      << message;

  auto db = Db::Open(db_path, DbOptions{});
  ASSERT_TRUE(db.ok());
  auto st = (*db)->Prepare("SELECT COUNT(*), MAX(version) FROM schema_migrations");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Int(1), known + 2);
  EXPECT_EQ(st->Int(0), static_cast<int64_t>(EmbeddedMigrations().size()) + 1);
}

// API.md, "Storage": three processes given one PostgreSQL URL must not each open their own SQLite
// file and split the data between them. Until the PostgreSQL engine is in the server, the URL is
// refused at start-up, before anything is made in the data directory.
TEST(SchemaVersionTest, AServerGivenAPostgresUrlRefusesToStartAndMakesNoSqliteFile) {
  testing::TempDir dir;
  Settings settings;
  settings.data_dir = dir.path() + "/data";
  settings.listen = {"127.0.0.1", 0};
  settings.stream_listen = {"127.0.0.1", 0};
  settings.admin_token = "a-test-token-long-enough-0123456789";
  settings.database_url = "postgres://hookd:s3cret@127.0.0.1:1/hookd";
  SystemClock clock;
  SecureRandom random;
  auto server = Server::Create(settings, clock, random);
  ASSERT_FALSE(server.ok());
  const std::string message = server.status().message();
  EXPECT_NE(message.find("HOOKD_DATABASE_URL"), std::string::npos) << message;
  EXPECT_NE(message.find("not in this build yet"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(settings.data_dir + "/hookd.db"));
}

}  // namespace
}  // namespace hookd
