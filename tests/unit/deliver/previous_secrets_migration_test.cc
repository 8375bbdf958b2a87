// migrations/0009: an endpoint's or a source's previous secret stored before the list of
// previous secrets keeps verifying and signing until its grace ends, as one entry of the list.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/db.h"
#include "common/migrations.h"
#include "deliver/endpoint_store.h"
#include "ingest/sqlite_source_store.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

TEST(PreviousSecretsMigrationTest, AStoredPreviousSecretBecomesTheListsOnlyEntry) {
  testing::TempDir dir;
  DbPool pool{dir.path() + "/hookd.db", DbOptions{}};
  {
    auto db = pool.Acquire();
    ASSERT_TRUE(db.ok());
    std::vector<Migration> before;
    for (const Migration& m : EmbeddedMigrations())
      if (m.version < 9) before.push_back(m);
    ASSERT_TRUE(ApplyMigrations(**db, before).ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO endpoints (id, url, secret, previous_secret,"
                           " previous_expires_at, created_at, updated_at) VALUES"
                           " ('ep_a', 'http://x/', 'whsec_new', 'whsec_old', 5000, 1, 1),"
                           " ('ep_b', 'http://x/', 'whsec_only', NULL, 0, 1, 1)")
                    .ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO sources (id, name, provider, secret, previous_secret,"
                           " previous_expires_at, created_at, updated_at) VALUES"
                           " ('src_a', 'a', 'github', 'new', 'old', 7000, 1, 1),"
                           " ('src_b', 'b', 'github', 'only', NULL, NULL, 1, 1)")
                    .ok());
    ASSERT_TRUE(ApplyMigrations(**db, EmbeddedMigrations()).ok());
  }
  EndpointStore endpoints{pool};
  auto a = endpoints.Get("ep_a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->previous_secrets, (std::vector<PreviousSecret>{{"whsec_old", 5000}}));
  EXPECT_EQ(a->LiveSecrets(4999), (std::vector<std::string>{"whsec_new", "whsec_old"}));
  EXPECT_EQ(a->LiveSecrets(5000), (std::vector<std::string>{"whsec_new"}));
  auto b = endpoints.Get("ep_b");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->previous_secrets.empty());

  SqliteSourceStore sources{pool};
  auto sa = sources.Get("src_a");
  ASSERT_TRUE(sa.ok()) << sa.status().ToString();
  EXPECT_EQ(sa->previous_secrets, (std::vector<PreviousSecret>{{"old", 7000}}));
  auto sb = sources.Get("src_b");
  ASSERT_TRUE(sb.ok());
  EXPECT_TRUE(sb->previous_secrets.empty());
}

}  // namespace
}  // namespace hookd
