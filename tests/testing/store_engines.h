// The two storage engines a store test runs on, for gtest typed tests: SqliteEngine (a migrated
// SQLite file in a temp dir) and PgEngine (a migrated database of its own on the cluster named by
// HOOKD_TEST_PG_URL; the test is skipped without it). Each makes the stores over its pool and runs
// plain SQL for the test's checks. For tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/app_stats_source.h"
#include "apps/application_store.h"
#include "apps/sqlite_app_token_store.h"
#include "apps/sqlite_event_type_store.h"
#include "apps/sqlite_portal_code_store.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/ids.h"
#include "common/random.h"
#include "deliver/endpoint_cache.h"
#include "deliver/endpoint_store.h"
#include "deliver/message_request.h"
#include "deliver/message_service.h"
#include "ingest/sqlite_source_store.h"
#include "storage/pg/pg_app_stats.h"
#include "storage/pg/pg_app_token_store.h"
#include "storage/pg/pg_application_store.h"
#include "storage/pg/pg_endpoint_store.h"
#include "storage/pg/pg_event_type_store.h"
#include "storage/pg/pg_message_reads.h"
#include "storage/pg/pg_message_store.h"
#include "storage/pg/pg_migrations.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_portal_code_store.h"
#include "storage/pg/pg_session_store.h"
#include "storage/pg/pg_source_store.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/pg_test_db.h"
#include "tests/testing/temp_dir.h"
#include "web/sqlite_session_store.h"

namespace hookd::testing {

// Publishing and reading messages on one engine as its code does, for the messages' typed tests:
// SQLite's MessageService (each message committed alone, as Create does, its application resolved
// first as the scoped routes do), PostgreSQL's PgMessageStore (the application checked in the
// transaction) and PgMessageReads.
class MessagesUnderTest {
 public:
  virtual ~MessagesUnderTest() = default;
  virtual Result<nlohmann::json> Publish(const nlohmann::json& req,
                                         const std::optional<std::string>& key,
                                         const std::string& app_id) = 0;
  virtual Result<nlohmann::json> Get(const std::string& id,
                                     const std::optional<std::string>& app_id = std::nullopt) = 0;
  virtual Result<nlohmann::json> List(const MessageFilter& filter,
                                      const std::optional<std::string>& after, int limit) = 0;
  virtual Result<nlohmann::json> ListDeliveries(const DeliveryFilter& filter,
                                                const std::optional<std::string>& after,
                                                int limit) = 0;
  virtual Result<nlohmann::json> GetDelivery(
      const std::string& id, const std::optional<std::string>& app_id = std::nullopt) = 0;
};

class SqliteMessages final : public MessagesUnderTest {
 public:
  SqliteMessages(DbPool& pool, const Clock& clock, Random& random)
      : clock_(clock),
        random_(random),
        endpoints_(pool),
        cache_(endpoints_, clock),
        apps_(pool, clock, random),
        service_(pool, cache_, clock, random, nullptr) {}
  Result<nlohmann::json> Publish(const nlohmann::json& req, const std::optional<std::string>& key,
                                 const std::string& app_id) override {
    auto app = apps_.Resolve(app_id);
    if (!app.ok()) {
      // PgMessages draws the message's id before its store refuses the application: one draw
      // here too keeps both engines' ids in step for the comparison tests.
      (void)NewId("msg", clock_, random_);
      return app.status();
    }
    return service_.Create(req, key, *app);
  }
  Result<nlohmann::json> Get(const std::string& id,
                             const std::optional<std::string>& app_id) override {
    return service_.Get(id, app_id);
  }
  Result<nlohmann::json> List(const MessageFilter& filter, const std::optional<std::string>& after,
                              int limit) override {
    return service_.List(filter, after, limit);
  }
  Result<nlohmann::json> ListDeliveries(const DeliveryFilter& filter,
                                        const std::optional<std::string>& after,
                                        int limit) override {
    return service_.ListDeliveries(filter, after, limit);
  }
  Result<nlohmann::json> GetDelivery(const std::string& id,
                                     const std::optional<std::string>& app_id) override {
    return service_.GetDelivery(id, app_id);
  }

 private:
  const Clock& clock_;
  Random& random_;
  EndpointStore endpoints_;
  EndpointCache cache_;
  ApplicationStore apps_;
  MessageService service_;
};

class PgMessages final : public MessagesUnderTest {
 public:
  PgMessages(PgPool& pool, const Clock& clock, Random& random)
      : clock_(clock),
        random_(random),
        endpoints_(pool),
        store_(pool, clock, random),
        reads_(pool, clock) {}
  // The request prepared as MessageService does, committed alone with the endpoints read now.
  Result<nlohmann::json> Publish(const nlohmann::json& req, const std::optional<std::string>& key,
                                 const std::string& app_id) override {
    auto m = PrepareMessage(req, key, app_id, clock_, random_);
    if (!m.ok()) return m.status();
    auto all = endpoints_.All();
    if (!all.ok()) return all.status();
    const EndpointSnapshot snapshot(std::move(all).value());
    std::vector<NewMessage> batch{std::move(m).value()};
    int deliveries = 0;
    auto out = store_.Commit(batch, snapshot, deliveries);
    if (!out.ok()) return out.status();
    return std::move(out->front());
  }
  Result<nlohmann::json> Get(const std::string& id,
                             const std::optional<std::string>& app_id) override {
    return reads_.Get(id, app_id);
  }
  Result<nlohmann::json> List(const MessageFilter& filter, const std::optional<std::string>& after,
                              int limit) override {
    return reads_.List(filter, after, limit);
  }
  Result<nlohmann::json> ListDeliveries(const DeliveryFilter& filter,
                                        const std::optional<std::string>& after,
                                        int limit) override {
    return reads_.ListDeliveries(filter, after, limit);
  }
  Result<nlohmann::json> GetDelivery(const std::string& id,
                                     const std::optional<std::string>& app_id) override {
    return reads_.GetDelivery(id, app_id);
  }

 private:
  const Clock& clock_;
  Random& random_;
  PgEndpointStore endpoints_;
  PgMessageStore store_;
  PgMessageReads reads_;
};

// A query's rows as text, a row per line, its columns separated by '|', NULL as "NULL".
inline std::string JoinRow(const std::vector<std::optional<std::string>>& row) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) line += '|';
    line += row[i] ? *row[i] : std::string("NULL");
  }
  return line;
}

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
  std::unique_ptr<PortalCodeRepository> MakePortalCodeStore() {
    return std::make_unique<SqlitePortalCodeStore>(*pool_);
  }
  std::unique_ptr<AppStatsSource> MakeAppStats() {
    return std::make_unique<SqliteAppStats>(*pool_);
  }
  std::unique_ptr<ApplicationRepository> MakeApplicationStore(const Clock& clock, Random& random) {
    return std::make_unique<ApplicationStore>(*pool_, clock, random);
  }
  std::unique_ptr<EventTypeRepository> MakeEventTypeStore() {
    return std::make_unique<SqliteEventTypeStore>(*pool_);
  }
  std::unique_ptr<MessagesUnderTest> MakeMessages(const Clock& clock, Random& random) {
    return std::make_unique<SqliteMessages>(*pool_, clock, random);
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
  // Every row of `columns` columns (JoinRow), one per line.
  std::string Rows(const std::string& sql, int columns) {
    auto db = pool_->Acquire();
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    auto st = (*db)->Prepare(sql);
    if (!st.ok()) throw std::runtime_error(sql + ": " + st.status().ToString());
    std::string out;
    while (true) {
      auto row = st->Step();
      if (!row.ok()) throw std::runtime_error(sql + ": " + row.status().ToString());
      if (!*row) break;
      std::vector<std::optional<std::string>> values;
      for (int c = 0; c < columns; ++c)
        values.push_back(st->IsNull(c) ? std::nullopt : std::optional<std::string>(st->Text(c)));
      out += JoinRow(values);
      out += '\n';
    }
    return out;
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
  std::unique_ptr<PortalCodeRepository> MakePortalCodeStore() {
    return std::make_unique<PgPortalCodeStore>(*pool_);
  }
  std::unique_ptr<AppStatsSource> MakeAppStats() { return std::make_unique<PgAppStats>(*pool_); }
  std::unique_ptr<ApplicationRepository> MakeApplicationStore(const Clock& clock, Random& random) {
    return std::make_unique<PgApplicationStore>(*pool_, clock, random);
  }
  std::unique_ptr<EventTypeRepository> MakeEventTypeStore() {
    return std::make_unique<PgEventTypeStore>(*pool_);
  }
  std::unique_ptr<MessagesUnderTest> MakeMessages(const Clock& clock, Random& random) {
    return std::make_unique<PgMessages>(*pool_, clock, random);
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
  std::string Rows(const std::string& sql, int columns) {
    auto conn = pool_->Acquire();
    if (!conn.ok()) throw std::runtime_error(conn.status().ToString());
    auto r = (*conn)->Exec(sql);
    if (!r.ok()) throw std::runtime_error(sql + ": " + r.status().ToString());
    std::string out;
    for (int row = 0; row < r->rows(); ++row) {
      std::vector<std::optional<std::string>> values;
      for (int c = 0; c < columns && c < r->columns(); ++c)
        values.push_back(r->IsNull(row, c) ? std::nullopt
                                           : std::optional<std::string>(r->Text(row, c)));
      out += JoinRow(values);
      out += '\n';
    }
    return out;
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
