// Readiness against a real database: a commit that cannot go through, or a data directory
// without room, makes hookd not ready; it is ready again once commits succeed.
#include "common/readiness.h"

#include <gtest/gtest.h>

#include "common/migrations.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

class ReadinessTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_ = testing::MigratedPool(dir_.path() + "/hookd.db"); }
  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_;
  FakeClock clock_{1'000'000};
};

TEST_F(ReadinessTest, ReadyWhenACommitGoesThroughAndSpaceIsLeft) {
  Readiness r(*pool_, dir_.path(), clock_, 1024,
              [](const std::string&) { return uint64_t{1} << 30; });
  EXPECT_TRUE(r.Check().ok());
}

TEST_F(ReadinessTest, ReproducesReadyOnAFullDiskTooLittleFreeSpaceIsNotReady) {
  uint64_t free = 1000;
  Readiness r(*pool_, dir_.path(), clock_, 4096,
              [&](const std::string&) -> Result<uint64_t> { return free; });
  Status s = r.Check();
  EXPECT_EQ(s.code(), "not_ready");
  EXPECT_EQ(s.kind(), ErrorKind::kUnavailable);
  free = 1 << 20;
  EXPECT_FALSE(r.Check().ok());  // the result is kept for a second
  clock_.Advance(std::chrono::milliseconds(1001));
  EXPECT_TRUE(r.Check().ok());
}

TEST_F(ReadinessTest, ACommitThatFailsIsNotReady) {
  Readiness r(*pool_, dir_.path(), clock_, 0,
              [](const std::string&) -> Result<uint64_t> { return uint64_t{1} << 30; });
  // The probe's row cannot be written (its table is gone): the commit fails.
  auto other = Db::Open(dir_.path() + "/hookd.db", DbOptions{});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Exec("DROP TABLE readiness").ok());
  Status s = r.Check();
  EXPECT_EQ(s.code(), "not_ready") << s.ToString();
  ASSERT_TRUE(
      (*other)->Exec("CREATE TABLE readiness (id INTEGER PRIMARY KEY, checked_at INTEGER)").ok());
  clock_.Advance(std::chrono::milliseconds(1001));
  EXPECT_TRUE(r.Check().ok());
}

}  // namespace
}  // namespace hookd
