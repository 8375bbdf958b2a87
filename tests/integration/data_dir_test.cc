// The data directory at start-up (docs/DECISIONS.md, "The data directory"): a new one is made
// 0700, an existing one keeps its mode, one that other users can write to is refused before
// anything is created in it, and the database files are 0600.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "app/server.h"
#include "common/clock.h"
#include "common/random.h"
#include "tests/integration/test_server.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using testing::TempDir;
using testing::TestServer;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return static_cast<mode_t>(-1);
  return st.st_mode & 07777;
}

TEST(DataDirTest, ANewDataDirIsMade0700AndItsParentsAsUsual) {
  TempDir base;
  const std::string dir = base.path() + "/parent/data";
  const mode_t old_umask = ::umask(022);
  TestServer server(dir);
  ::umask(old_umask);
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(base.path() + "/parent"), 0755u);  // as the umask has it
}

TEST(DataDirTest, AnExistingDataDirKeepsItsMode) {
  TempDir base;
  const std::string dir = base.path() + "/data";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  {
    TestServer server(dir);
    EXPECT_EQ(ModeOf(dir), 0755u);
  }
  EXPECT_EQ(ModeOf(dir), 0755u);
}

TEST(DataDirTest, TheDatabaseFilesAre0600) {
  TempDir base;
  const std::string dir = base.path() + "/data";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  // Whatever the umask lets through, the files hookd creates are for its own user only.
  const mode_t old_umask = ::umask(0);
  TestServer server(dir);
  server.CreateSource("github", "s3cret");  // a commit: the WAL and its index exist now
  ::umask(old_umask);
  for (const char* name : {"hookd.db", "hookd.db-wal", "hookd.db-shm"}) {
    ASSERT_TRUE(std::filesystem::exists(dir + "/" + name)) << name;
    EXPECT_EQ(ModeOf(dir + "/" + name), 0600u) << name;
  }
}

TEST(DataDirTest, ADirOtherUsersCanWriteIsRefusedAndLeftUntouched) {
  for (const mode_t mode : {01777, 0777, 0770, 0702}) {
    TempDir base;
    ASSERT_EQ(::chmod(base.path().c_str(), mode), 0);
    Settings settings;
    settings.listen = {"127.0.0.1", 0};
    settings.stream_listen = {"127.0.0.1", 0};
    settings.data_dir = base.path();
    settings.admin_token = "";  // else generated into the dir: it must not be
    SystemClock clock;
    SecureRandom random;
    auto server = Server::Create(settings, clock, random);
    ASSERT_FALSE(server.ok()) << std::oct << mode;
    const std::string& message = server.status().message();
    EXPECT_NE(message.find(base.path()), std::string::npos) << message;
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(message.find(octal), std::string::npos) << message;
    EXPECT_NE(message.find("chmod go-w"), std::string::npos) << message;
    EXPECT_EQ(ModeOf(base.path()), mode);
    EXPECT_TRUE(std::filesystem::is_empty(base.path())) << "hookd wrote into " << base.path();
  }
}

TEST(DataDirTest, ADataDirThatIsAFileIsRefused) {
  TempDir base;
  const std::string file = base.path() + "/data";
  { std::ofstream(file) << "x"; }
  Settings settings;
  settings.listen = {"127.0.0.1", 0};
  settings.stream_listen = {"127.0.0.1", 0};
  settings.data_dir = file;
  SystemClock clock;
  SecureRandom random;
  auto server = Server::Create(settings, clock, random);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find(file), std::string::npos);
}

}  // namespace
}  // namespace hookd
