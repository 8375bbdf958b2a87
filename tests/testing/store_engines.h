// The two storage engines a store test runs on, for gtest typed tests: SqliteEngine (a migrated
// SQLite file in a temp dir) and PgEngine (a migrated database of its own on the cluster named by
// HOOKD_TEST_PG_URL; the test is skipped without it). Each makes the stores over its pool and runs
// plain SQL for the test's checks. For tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "apps/application_store.h"
#include "apps/sqlite_app_token_store.h"
#include "apps/sqlite_event_type_store.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/random.h"
#include "deliver/endpoint_store.h"
#include "ingest/sqlite_source_store.h"
#include "storage/pg/pg_app_token_store.h"
#include "storage/pg/pg_application_store.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_event_type_store.h"
#include "storage/pg/pg_migrations.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_session_store.h"
#include "storage/pg/pg_source_store.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/pg_test_db.h"
#include "tests/testing/temp_dir.h"
#include "web/sqlite_session_store.h"

namespace hookd::testing {

class SqliteEngine {
 public:
  static constexpr const char* kName = "Sqlite";
  static constexpr bool kPostgres = false;
  static bool Available() { return true; }

  Status SetUp() {
    pool_ = MigratedPool(dir_.path() + "/hookd.db");
    return Status::Ok();
  }

  DbPool& pool() { return *pool_; }
  std::unique_ptr<SourceStore> MakeSourceStore() {
    return std::make_unique<SqliteSourceStore>(*pool_);
  }
  std::unique_ptr<SessionStore> MakeSessionStore() {
    return std::make_unique<SqliteSessionStore>(*pool_);
  }
  std::unique_ptr<EndpointRepository> MakeEndpointStore() {
    return std::make_unique<EndpointStore>(*pool_);
  }
  std::unique_ptr<AppTokenRepository> MakeAppTokenStore() {
    return std::make_unique<SqliteAppTokenStore>(*pool_);
  }
  std::unique_ptr<ApplicationRepository> MakeApplicationStore(const Clock& clock, Random& random) {
    return std::make_unique<ApplicationStore>(*pool_, clock, random);
  }
  std::unique_ptr<EventTypeRepository> MakeEventTypeStore() {
    return std::make_unique<SqliteEventTypeStore>(*pool_);
  }

  Status Exec(const std::string& sql) {
    auto db = pool_->Acquire();
    if (!db.ok()) return db.status();
    return (*db)->Exec(sql);
  }
  // The first column of the first row, as text ("" when there is no row).
  std::string Text(const std::string& sql) {
    auto db = pool_->Acquire();
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    auto st = (*db)->Prepare(sql);
    if (!st.ok()) throw std::runtime_error(sql + ": " + st.status().ToString());
    auto row = st->Step();
    if (!row.ok()) throw std::runtime_error(sql + ": " + row.status().ToString());
    return *row ? st->Text(0) : std::string();
  }

 private:
  TempDir dir_;
  std::unique_ptr<DbPool> pool_;
};

class PgEngine {
 public:
  static constexpr const char* kName = "Pg";
  static constexpr bool kPostgres = true;
  static bool Available() { return PgTestDatabase::Configured(); }

  Status SetUp() {
    if (Status s = db_.Create(); !s.ok()) return s;
    auto conn = PgConn::Connect(db_.url());
    if (!conn.ok()) return conn.status();
    if (Status s = ApplyPgMigrations(**conn, EmbeddedPgMigrations()); !s.ok()) return s;
    pool_ = NewPool();
    return Status::Ok();
  }

  PgPool& pool() { return *pool_; }
  // Another pool on the same database: another node.
  std::unique_ptr<PgPool> NewPool() { return std::make_unique<PgPool>(db_.url()); }
  std::unique_ptr<SourceStore> MakeSourceStore() { return std::make_unique<PgSourceStore>(*pool_); }
  std::unique_ptr<SessionStore> MakeSessionStore() {
    return std::make_unique<PgSessionStore>(*pool_);
  }
  std::unique_ptr<EndpointRepository> MakeEndpointStore() {
    return std::make_unique<PgEndpointStore>(*pool_);
  }
  std::unique_ptr<AppTokenRepository> MakeAppTokenStore() {
    return std::make_unique<PgAppTokenStore>(*pool_);
  }
  std::unique_ptr<ApplicationRepository> MakeApplicationStore(const Clock& clock, Random& random) {
    return std::make_unique<PgApplicationStore>(*pool_, clock, random);
  }
  std::unique_ptr<EventTypeRepository> MakeEventTypeStore() {
    return std::make_unique<PgEventTypeStore>(*pool_);
  }

  Status Exec(const std::string& sql) {
    auto conn = pool_->Acquire();
    if (!conn.ok()) return conn.status();
    return (*conn)->ExecScript(sql);
  }
  std::string Text(const std::string& sql) {
    auto conn = pool_->Acquire();
    if (!conn.ok()) throw std::runtime_error(conn.status().ToString());
    auto r = (*conn)->Exec(sql);
    if (!r.ok()) throw std::runtime_error(sql + ": " + r.status().ToString());
    return r->rows() > 0 ? std::string(r->Text(0, 0)) : std::string();
  }

 private:
  PgTestDatabase db_;
  std::unique_ptr<PgPool> pool_;
};

// Names the typed tests' instances by engine: Suite/Sqlite.Case, Suite/Pg.Case.
struct EngineName {
  template <typename Engine>
  static std::string GetName(int) {
    return Engine::kName;
  }
};

using StoreEngines = ::testing::Types<SqliteEngine, PgEngine>;

// A typed test's fixture base: sets the engine up, or skips without PostgreSQL.
template <typename Engine>
class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Engine::Available()) GTEST_SKIP() << kPgSkipMessage;
    Status s = engine_.SetUp();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  int64_t Count(const std::string& sql) { return std::stoll(engine_.Text(sql)); }

  Engine engine_;
};

}  // namespace hookd::testing
