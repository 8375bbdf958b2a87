// EndpointCache::GetIn and the endpoints version against a real SQLite database: which changes
// bump the version (migrations/0007), and a snapshot reloaded only when it does.
#include "deliver/endpoint_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

class EndpointCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Endpoint e;
    e.id = "ep_1";
    e.url = "https://example.com/hook";
    e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    ASSERT_TRUE(store_.Insert(e).ok());
  }

  int64_t Version() {
    auto db = pool_->Acquire();
    auto v = EndpointStore::VersionIn(**db);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }
  void Sql(const std::string& sql) {
    auto db = pool_->Acquire();
    Status s = (*db)->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // GetIn on a connection of the pool, in a write transaction as fan-out calls it.
  EndpointCache::Snapshot GetIn() {
    auto db = pool_->Acquire();
    auto txn = Transaction::Begin(**db);
    EXPECT_TRUE(txn.ok());
    auto snapshot = cache_.GetIn(**db);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return snapshot.ok() ? *snapshot : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
  FakeClock clock_{1'790'000'000'000};
  EndpointStore store_{*pool_};
  EndpointCache cache_{store_, clock_};
};

TEST_F(EndpointCacheTest, TheVersionCountsSettingsChangesOnly) {
  int64_t v = Version();
  EXPECT_GT(v, 0) << "the insert counted";
  // The engine's bookkeeping does not count.
  Sql("UPDATE endpoints SET failing_since = 5, circuit = 'open', circuit_retry_at = 9,"
      " updated_at = 7");
  EXPECT_EQ(Version(), v);
  // Assigning every column its own value (as EndpointStore::UpdateIn does) neither.
  auto e = store_.Get("ep_1");
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(store_.Update(*e).ok());
  EXPECT_EQ(Version(), v);
  // Each real change of a setting does, in its own transaction: fan-out's columns and what the
  // engine reads when it sends (migrations/0018).
  for (const char* change :
       {"UPDATE endpoints SET disabled = 1", "UPDATE endpoints SET disabled = 0",
        "UPDATE endpoints SET event_types = '[\"a.b\"]'",
        "UPDATE endpoints SET source_ids = '[\"src_1\"]'",
        "UPDATE endpoints SET url = 'https://example.com/other'",
        "UPDATE endpoints SET headers = '{\"a\":\"b\"}'", "UPDATE endpoints SET secret = 'whsec_y'",
        "UPDATE endpoints SET previous_secrets = '[{\"secret\":\"whsec_x\",\"expires_at\":9}]'",
        "UPDATE endpoints SET rate_limit_per_second = 5",
        "UPDATE endpoints SET forward_headers = '[\"x-a\"]'",
        "UPDATE endpoints SET description = 'x'", "DELETE FROM endpoints"}) {
    Sql(change);
    EXPECT_EQ(Version(), v + 1) << change;
    v = Version();
  }
}

TEST_F(EndpointCacheTest, GetReloadsOnlyWhenTheVersionMoved) {
  auto first = cache_.Get();
  ASSERT_TRUE(first.ok());
  // Past the TTL, with nothing changed but the engine's bookkeeping: the same snapshot.
  Sql("UPDATE endpoints SET circuit = 'open', failing_since = 5");
  clock_.Advance(std::chrono::seconds(2));
  auto same = cache_.Get();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *first);
  // Invalidated with nothing changed: the same snapshot too.
  cache_.Invalidate();
  EXPECT_EQ(*cache_.Get(), *first);
  // Another connection rotates the secret: seen once the TTL has passed.
  Sql("UPDATE endpoints SET secret = 'whsec_rotated'");
  EXPECT_EQ(*cache_.Get(), *first) << "within the TTL";
  clock_.Advance(std::chrono::seconds(2));
  auto fresh = cache_.Get();
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(*fresh, *first);
  EXPECT_EQ((**fresh)[0].secret, "whsec_rotated");
}

TEST_F(EndpointCacheTest, GetInReloadsOnlyWhenTheVersionMoved) {
  EndpointCache::Snapshot first = GetIn();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_FALSE((*first)[0].disabled);
  Sql("UPDATE endpoints SET circuit = 'open'");
  EXPECT_EQ(GetIn(), first) << "no fan-out change: the same snapshot";
  // Another connection disables it; nothing invalidated the cache, and its TTL has not passed.
  Sql("UPDATE endpoints SET disabled = 1");
  EndpointCache::Snapshot second = GetIn();
  ASSERT_TRUE(second);
  EXPECT_NE(second, first);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_TRUE((*second)[0].disabled);
  // The reload serves Get() too.
  auto got = cache_.Get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, second);
}

}  // namespace
}  // namespace hookd
