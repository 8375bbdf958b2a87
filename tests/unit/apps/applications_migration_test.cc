// migrations/0015_applications.sql on a database made by the release before it (migrations up
// to 0014, with a source, an endpoint, a message with an Idempotency-Key and its delivery): every
// row lands in the default application, nothing is lost, and the Idempotency-Key becomes the
// application's own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/db.h"
#include "common/migrations.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

std::vector<Migration> Before(int version) {
  std::vector<Migration> out;
  for (const Migration& m : EmbeddedMigrations())
    if (m.version < version) out.push_back(m);
  return out;
}

std::string One(Db& db, const std::string& sql) {
  auto st = db.Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  if (!st.ok()) return "<error>";
  auto row = st->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return row.ok() && *row ? st->Text(0) : "<none>";
}

TEST(ApplicationsMigrationTest, APreviousReleasesRowsMoveIntoTheDefaultApplication) {
  testing::TempDir dir;
  auto opened = Db::Open(dir.path() + "/hookd.db", DbOptions{});
  ASSERT_TRUE(opened.ok());
  Db& db = **opened;
  ASSERT_TRUE(ApplyMigrations(db, Before(15)).ok());
  ASSERT_TRUE(db.Exec("INSERT INTO sources (id, name, provider, secret, created_at, updated_at)"
                      " VALUES ('src_1', 's', 'github', 'x', 1, 1);"
                      "INSERT INTO endpoints (id, url, secret, created_at, updated_at)"
                      " VALUES ('ep_1', 'https://example.com/', 'whsec_x', 1, 1);"
                      "INSERT INTO messages (id, event_type, payload, idempotency_key, created_at)"
                      " VALUES ('msg_1', 'a.b', '{}', 'key-1', 1);"
                      "INSERT INTO deliveries (id, message_id, endpoint_id, status, created_at,"
                      " updated_at) VALUES ('dlv_1', 'msg_1', 'ep_1', 'succeeded', 1, 1);")
                  .ok());

  ASSERT_TRUE(ApplyMigrations(db, EmbeddedMigrations()).ok());
  EXPECT_EQ(One(db, "SELECT uid || ' ' || name FROM applications WHERE id = 'app_default'"),
            "default Default");
  for (const char* table : {"sources", "endpoints", "messages", "deliveries"}) {
    EXPECT_EQ(One(db, std::string("SELECT COUNT(*) || ' ' || MIN(app_id) || ' ' || MAX(app_id)"
                                  " FROM ") +
                          table),
              "1 app_default app_default")
        << table;
  }
  EXPECT_EQ(One(db, "SELECT idempotency_key FROM messages WHERE id = 'msg_1'"), "key-1");
  // The types already seen are counted (migrations/0017_event_types.sql).
  EXPECT_EQ(One(db,
                "SELECT app_id || ' ' || event_type || ' ' || count || ' ' || last_seen"
                " FROM event_types"),
            "app_default a.b 1 1");
  // The key is now unique per application: another application may use it, the same one not.
  ASSERT_TRUE(db.Exec("INSERT INTO applications (id, uid, name, created_at, updated_at)"
                      " VALUES ('app_2', 'two', 'Two', 1, 1)")
                  .ok());
  EXPECT_TRUE(db.Exec("INSERT INTO messages (id, app_id, event_type, payload, idempotency_key,"
                      " created_at) VALUES ('msg_2', 'app_2', 'a.b', '{}', 'key-1', 2)")
                  .ok());
  EXPECT_FALSE(db.Exec("INSERT INTO messages (id, event_type, payload, idempotency_key,"
                       " created_at) VALUES ('msg_3', 'a.b', '{}', 'key-1', 3)")
                   .ok());
  // A deleted application gives its uid up; a live one keeps it unique.
  EXPECT_FALSE(db.Exec("INSERT INTO applications (id, uid, name, created_at, updated_at)"
                       " VALUES ('app_3', 'two', 'Again', 1, 1)")
                   .ok());
  ASSERT_TRUE(db.Exec("UPDATE applications SET deleted_at = 5 WHERE id = 'app_2'").ok());
  EXPECT_TRUE(db.Exec("INSERT INTO applications (id, uid, name, created_at, updated_at)"
                      " VALUES ('app_3', 'two', 'Again', 1, 1)")
                  .ok());
}

}  // namespace
}  // namespace hookd
