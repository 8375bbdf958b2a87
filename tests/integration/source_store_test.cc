// The source store on both engines: insert (only into a live application), get, update, delete
// and the newest-first list with its `after` cursor, with the same answers and error kinds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

Source MakeSource(const std::string& id, const std::string& app_id = "app_default") {
  Source s;
  s.id = id;
  s.app_id = app_id;
  s.name = "name of " + id;
  s.provider = "standard";
  s.secret = "whsec_current";
  s.tolerance_seconds = 120;
  s.created_at = 1'700'000'000'000;
  s.updated_at = 1'700'000'000'001;
  return s;
}

template <typename Engine>
class SourceStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = this->engine_.MakeSourceStore();
  }

  std::vector<std::string> Ids(const std::optional<std::string>& after, int limit) {
    auto page = store_->List(after, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const Source& s : *page) ids.push_back(s.id);
    }
    return ids;
  }

  std::unique_ptr<SourceStore> store_;
};

TYPED_TEST_SUITE(SourceStoreTest, StoreEngines, EngineName);

TYPED_TEST(SourceStoreTest, InsertGetUpdateDelete) {
  Source s = MakeSource("src_1");
  s.previous_secrets = {{"whsec_newer", 9000}, {"whsec_older", 8000}};
  ASSERT_TRUE(this->store_->Insert(s).ok());
  auto got = this->store_->Get("src_1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, "src_1");
  EXPECT_EQ(got->app_id, "app_default");
  EXPECT_EQ(got->name, s.name);
  EXPECT_EQ(got->provider, "standard");
  EXPECT_EQ(got->secret, "whsec_current");
  EXPECT_EQ(got->previous_secrets, s.previous_secrets);
  EXPECT_EQ(got->tolerance_seconds, 120);
  EXPECT_EQ(got->created_at, s.created_at);
  EXPECT_EQ(got->updated_at, s.updated_at);
  // The legacy columns hold the newest previous secret.
  EXPECT_EQ(this->engine_.Text("SELECT previous_secret FROM sources WHERE id = 'src_1'"),
            "whsec_newer");
  EXPECT_EQ(this->Count("SELECT previous_expires_at FROM sources WHERE id = 'src_1'"), 9000);
  EXPECT_FALSE(this->store_->Insert(s).ok());  // ids are unique

  s.name = "renamed";
  s.secret = "whsec_rotated";
  s.previous_secrets.clear();
  s.tolerance_seconds = 60;
  s.updated_at = 1'700'000'000'500;
  s.app_id = "app_other";  // never changed by an update
  ASSERT_TRUE(this->store_->Update(s).ok());
  got = this->store_->Get("src_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "renamed");
  EXPECT_EQ(got->secret, "whsec_rotated");
  EXPECT_TRUE(got->previous_secrets.empty());
  EXPECT_EQ(got->tolerance_seconds, 60);
  EXPECT_EQ(got->updated_at, 1'700'000'000'500);
  EXPECT_EQ(got->app_id, "app_default");
  EXPECT_EQ(this->Count("SELECT count(*) FROM sources WHERE previous_secret IS NULL"
                        " AND previous_expires_at = 0"),
            1);

  ASSERT_TRUE(this->store_->Delete("src_1").ok());
  EXPECT_EQ(this->store_->Get("src_1").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Delete("src_1").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Update(s).kind(), ErrorKind::kNotFound);
}

TYPED_TEST(SourceStoreTest, InsertNeedsALiveApplication) {
  Status s = this->store_->Insert(MakeSource("src_1", "app_nope"));
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidField) << s.ToString();
  ASSERT_TRUE(this->engine_
                  .Exec("INSERT INTO applications (id, name, created_at, updated_at, deleted_at)"
                        " VALUES ('app_gone', 'gone', 1, 1, 2)")
                  .ok());
  s = this->store_->Insert(MakeSource("src_2", "app_gone"));
  EXPECT_EQ(s.kind(), ErrorKind::kInvalidField) << s.ToString();
  ASSERT_TRUE(this->engine_
                  .Exec("INSERT INTO applications (id, name, created_at, updated_at)"
                        " VALUES ('app_live', 'live', 1, 1)")
                  .ok());
  ASSERT_TRUE(this->store_->Insert(MakeSource("src_3", "app_live")).ok());
  EXPECT_EQ(this->store_->Get("src_3")->app_id, "app_live");
  EXPECT_EQ(this->Count("SELECT count(*) FROM sources"), 1);
}

TYPED_TEST(SourceStoreTest, ListPagesNewestFirstByIdInByteOrder) {
  if constexpr (TypeParam::kPostgres) {
    // A database made with a linguistic locale (en_US.UTF-8, as many are) would sort the ids by
    // that collation unless the store asks for byte order; the test cluster's is C.
    if (this->Count("SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'") == 1) {
      ASSERT_TRUE(
          this->engine_.Exec("ALTER TABLE sources ALTER COLUMN id TYPE text COLLATE \"und-x-icu\"")
              .ok());
    }
  }
  // Byte order, as SQLite compares: upper case before '_' before lower case.
  for (const char* id : {"src_a", "src_B", "src__", "src_b", "src_A"}) {
    ASSERT_TRUE(this->store_->Insert(MakeSource(id)).ok()) << id;
  }
  EXPECT_EQ(this->Ids(std::nullopt, 10),
            (std::vector<std::string>{"src_b", "src_a", "src__", "src_B", "src_A"}));
  EXPECT_EQ(this->Ids(std::nullopt, 1), (std::vector<std::string>{"src_b", "src_a"}));
  EXPECT_EQ(this->Ids("src_a", 1), (std::vector<std::string>{"src__", "src_B"}));
  EXPECT_EQ(this->Ids("src_B", 2), (std::vector<std::string>{"src_A"}));
  EXPECT_TRUE(this->Ids("src_A", 2).empty());
  // A cursor that names no source still pages by its place in the order.
  EXPECT_EQ(this->Ids("src_Z", 5), (std::vector<std::string>{"src_B", "src_A"}));
}

}  // namespace
}  // namespace hookd::testing
