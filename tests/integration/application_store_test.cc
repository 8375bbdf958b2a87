// The application store on both engines (ApplicationRepository: ApplicationStore on SQLite,
// PgApplicationStore on PostgreSQL), with the same answers and error kinds: create, upsert and
// update with their 422s and 409s (uid_in_use, default_application), get and resolve by id and
// by uid (404 once deleted), the newest-first list with its search and `after` cursor, and a
// deletion that takes the application's endpoints and sources with it and gives its uid up.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

// `a`, `b` and `c` joined (with +=: GCC 12 warns wrongly about "literal" + std::string).
std::string Cat(std::string a, std::string_view b, std::string_view c = "") {
  a += b;
  a += c;
  return a;
}

constexpr int64_t kNow = 1'790'000'000'000;

ApplicationChange Change(
    std::optional<std::string> name, std::optional<std::optional<std::string>> uid = std::nullopt,
    std::optional<std::map<std::string, std::string>> metadata = std::nullopt) {
  ApplicationChange c;
  c.name = std::move(name);
  c.uid = std::move(uid);
  c.metadata = std::move(metadata);
  return c;
}

Source MakeSource(const std::string& id, const std::string& app_id) {
  Source s;
  s.id = id;
  s.app_id = app_id;
  s.name = Cat("name of ", id);
  s.provider = "standard";
  s.secret = "whsec_current";
  s.created_at = kNow;
  s.updated_at = kNow;
  return s;
}

Endpoint MakeEndpoint(const std::string& id, const std::string& app_id) {
  Endpoint e;
  e.id = id;
  e.app_id = app_id;
  e.url = "https://receiver.example/hooks";
  e.secret = "whsec_current";
  e.created_at = kNow;
  e.updated_at = kNow;
  return e;
}

template <typename Engine>
class ApplicationStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = this->engine_.MakeApplicationStore(clock_, random_);
  }

  Application Make(const std::string& name, std::optional<std::string> uid = std::nullopt) {
    ApplicationChange change = Change(name);
    if (uid) change.uid = uid;
    auto a = store_->Create(change);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : Application{};
  }

  // The listed ids, newest first.
  std::vector<std::string> Ids(const std::optional<std::string>& search,
                               const std::optional<std::string>& after = std::nullopt,
                               int limit = 100) {
    auto list = store_->List(search, after, limit);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    std::vector<std::string> ids;
    if (list.ok())
      for (const auto& a : *list) ids.push_back(a.id);
    return ids;
  }

  FakeClock clock_{kNow};
  SeededRandom random_{7};
  std::unique_ptr<ApplicationRepository> store_;
};

TYPED_TEST_SUITE(ApplicationStoreTest, StoreEngines, EngineName);

TYPED_TEST(ApplicationStoreTest, CreateThenGetAndResolveByIdAndByUid) {
  auto made = this->store_->Create(
      Change("Acme", std::optional<std::string>("acme"), {{{"plan", "pro"}, {"region", "eu"}}}));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->id.rfind("app_", 0), 0u);
  EXPECT_EQ(made->uid, "acme");
  EXPECT_EQ(made->created_at, kNow);
  EXPECT_EQ(made->updated_at, kNow);
  for (const std::string& key : {made->id, std::string("acme")}) {
    auto got = this->store_->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(got->id, made->id);
    EXPECT_EQ(got->uid, "acme");
    EXPECT_EQ(got->name, "Acme");
    EXPECT_EQ(got->metadata,
              (std::map<std::string, std::string>{{"plan", "pro"}, {"region", "eu"}}));
    EXPECT_EQ(got->created_at, kNow);
    auto resolved = this->store_->Resolve(key);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    EXPECT_EQ(*resolved, made->id);
  }
  // The same bytes in the row on both engines.
  EXPECT_EQ(this->engine_.Text("SELECT metadata FROM applications WHERE uid = 'acme'"),
            R"({"plan":"pro","region":"eu"})");
  EXPECT_EQ(this->engine_.Text("SELECT created_at FROM applications WHERE uid = 'acme'"),
            std::to_string(kNow));

  // Without a uid: found by its id only.
  Application plain = this->Make("Plain");
  EXPECT_FALSE(plain.uid.has_value());
  auto got = this->store_->Get(plain.id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->uid.has_value());
  EXPECT_TRUE(got->metadata.empty());
  EXPECT_EQ(
      this->engine_.Text(Cat("SELECT metadata FROM applications WHERE id = '", plain.id, "'")),
      "{}");
}

TYPED_TEST(ApplicationStoreTest, TheDefaultApplicationIsThere) {
  auto got = this->store_->Get("default");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, kDefaultAppId);
  EXPECT_EQ(got->name, "Default");
  auto resolved = this->store_->Resolve(kDefaultAppId);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, kDefaultAppId);
}

TYPED_TEST(ApplicationStoreTest, UnknownApplicationsAre404) {
  for (const std::string key : {"app_nope", "nope", "", "app_", "default2"}) {
    EXPECT_EQ(this->store_->Get(key).status().kind(), ErrorKind::kNotFound) << key;
    EXPECT_EQ(this->store_->Get(key).status().code(), "not_found") << key;
    EXPECT_EQ(this->store_->Resolve(key).status().kind(), ErrorKind::kNotFound) << key;
    EXPECT_EQ(this->store_->Update(key, Change("x")).status().kind(), ErrorKind::kNotFound) << key;
    EXPECT_EQ(this->store_->Delete(key).kind(), ErrorKind::kNotFound) << key;
  }
}

TYPED_TEST(ApplicationStoreTest, CreateWithoutANameIs422) {
  auto a = this->store_->Create(Change(std::nullopt, std::optional<std::string>("x")));
  EXPECT_EQ(a.status().kind(), ErrorKind::kInvalidField);
  EXPECT_EQ(a.status().code(), "invalid_field");
  EXPECT_EQ(this->Count("SELECT count(*) FROM applications"), 1);  // the default one
  // An empty name is ParseApplicationChange's to refuse; the stores store what they are given.
  auto parsed = ParseApplicationChange(nlohmann::json{{"name", ""}});
  EXPECT_EQ(parsed.status().kind(), ErrorKind::kInvalidField);
}

TYPED_TEST(ApplicationStoreTest, ATakenUidIs409AndADeletedApplicationsUidIsFree) {
  Application first = this->Make("First", "shared");
  auto second = this->store_->Create(Change("Second", std::optional<std::string>("shared")));
  EXPECT_EQ(second.status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(second.status().code(), "uid_in_use");
  EXPECT_EQ(
      this->store_->Create(Change("D", std::optional<std::string>("default"))).status().code(),
      "uid_in_use");
  EXPECT_EQ(this->Count("SELECT count(*) FROM applications WHERE uid = 'shared'"), 1);

  ASSERT_TRUE(this->store_->Delete("shared").ok());
  EXPECT_EQ(this->store_->Get("shared").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Get(first.id).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Resolve(first.id).status().kind(), ErrorKind::kNotFound);
  Application again = this->Make("Again", "shared");
  EXPECT_NE(again.id, first.id);
  auto resolved = this->store_->Resolve("shared");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, again.id);
  // The deleted row stays (the reaper removes it) with its uid.
  EXPECT_EQ(this->Count("SELECT count(*) FROM applications WHERE uid = 'shared'"), 2);

  // An upsert after a deletion creates a new one too.
  ASSERT_TRUE(this->store_->Delete(again.id).ok());
  auto upserted = this->store_->Upsert("shared", Change("Third"));
  ASSERT_TRUE(upserted.ok()) << upserted.status().ToString();
  EXPECT_TRUE(upserted->second);
  EXPECT_NE(upserted->first.id, again.id);
}

TYPED_TEST(ApplicationStoreTest, UpsertCreatesThenChanges) {
  auto created = this->store_->Upsert("cust-1", Change("Customer", std::nullopt, {{{"a", "1"}}}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->second);
  EXPECT_EQ(created->first.uid, "cust-1");
  EXPECT_EQ(created->first.name, "Customer");
  EXPECT_EQ(created->first.created_at, kNow);

  this->clock_.Advance(std::chrono::milliseconds(5));
  // The body's uid may repeat the path's; absent members stay.
  auto changed = this->store_->Upsert(
      "cust-1", Change(std::nullopt, std::optional<std::string>("cust-1"), {{{"b", "2"}}}));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_FALSE(changed->second);
  EXPECT_EQ(changed->first.id, created->first.id);
  EXPECT_EQ(changed->first.name, "Customer");
  EXPECT_EQ(changed->first.metadata, (std::map<std::string, std::string>{{"b", "2"}}));
  EXPECT_EQ(changed->first.created_at, kNow);
  EXPECT_EQ(changed->first.updated_at, kNow + 5);

  auto renamed = this->store_->Upsert("cust-1", Change("Renamed"));
  ASSERT_TRUE(renamed.ok());
  EXPECT_FALSE(renamed->second);
  auto got = this->store_->Get("cust-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, created->first.id);
  EXPECT_EQ(got->name, "Renamed");
  EXPECT_EQ(got->metadata, (std::map<std::string, std::string>{{"b", "2"}}));
  EXPECT_EQ(this->Count("SELECT count(*) FROM applications WHERE uid = 'cust-1'"), 1);

  // The default application is upserted as any other.
  auto def = this->store_->Upsert("default", Change("Main"));
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_FALSE(def->second);
  EXPECT_EQ(def->first.id, kDefaultAppId);
  EXPECT_EQ(def->first.name, "Main");
}

TYPED_TEST(ApplicationStoreTest, UpsertRefusesBadInputs) {
  // Creating needs a name.
  auto nameless = this->store_->Upsert("new", Change(std::nullopt, std::nullopt, {{{"a", "1"}}}));
  EXPECT_EQ(nameless.status().kind(), ErrorKind::kInvalidField);
  // A uid of the wrong form, or one that looks like an id.
  for (const std::string& uid :
       {std::string(), std::string("has space"), std::string("app_x"), std::string(65, 'a'),
        std::string("slash/uid"), std::string("é")}) {
    auto bad = this->store_->Upsert(uid, Change("Name"));
    EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidField) << uid;
  }
  // The body's uid must be the path's (also a null one).
  auto other = this->store_->Upsert("one", Change("Name", std::optional<std::string>("two")));
  EXPECT_EQ(other.status().kind(), ErrorKind::kInvalidField);
  auto removed = this->store_->Upsert("one", Change("Name", std::optional<std::string>()));
  EXPECT_EQ(removed.status().kind(), ErrorKind::kInvalidField);
  EXPECT_EQ(this->Count("SELECT count(*) FROM applications"), 1);
  // 64 characters is fine.
  EXPECT_TRUE(this->store_->Upsert(std::string(64, 'a'), Change("Long")).ok());
}

TYPED_TEST(ApplicationStoreTest, UpdateChangesWhatItIsGiven) {
  Application a = this->Make("Before", "before");
  this->clock_.Advance(std::chrono::milliseconds(9));
  auto changed = this->store_->Update(
      "before", Change("After", std::optional<std::string>("after"), {{{"k", "v"}}}));
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->id, a.id);
  EXPECT_EQ(changed->name, "After");
  EXPECT_EQ(changed->uid, "after");
  EXPECT_EQ(changed->updated_at, kNow + 9);
  EXPECT_EQ(changed->created_at, kNow);
  EXPECT_EQ(this->store_->Get("before").status().kind(), ErrorKind::kNotFound);
  auto got = this->store_->Get("after");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->metadata, (std::map<std::string, std::string>{{"k", "v"}}));

  // An empty change touches only updated_at.
  auto same = this->store_->Update(a.id, ApplicationChange{});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->name, "After");
  EXPECT_EQ(same->uid, "after");

  // The uid removed: found by id only, and "after" is free.
  auto no_uid = this->store_->Update(a.id, Change(std::nullopt, std::optional<std::string>()));
  ASSERT_TRUE(no_uid.ok()) << no_uid.status().ToString();
  EXPECT_FALSE(no_uid->uid.has_value());
  EXPECT_EQ(this->store_->Resolve("after").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->engine_.Text(
                Cat("SELECT count(*) FROM applications WHERE id = '", a.id, "' AND uid IS NULL")),
            "1");
  this->Make("Other", "after");
}

TYPED_TEST(ApplicationStoreTest, UpdateToATakenUidIs409AndChangesNothing) {
  Application a = this->Make("A", "a");
  this->Make("B", "b");
  auto taken = this->store_->Update("a", Change("A2", std::optional<std::string>("b")));
  EXPECT_EQ(taken.status().kind(), ErrorKind::kConflict);
  EXPECT_EQ(taken.status().code(), "uid_in_use");
  auto got = this->store_->Get(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "A");
  EXPECT_EQ(got->uid, "a");
  EXPECT_EQ(this->store_->Update("a", Change("A3", std::optional<std::string>("default")))
                .status()
                .code(),
            "uid_in_use");
  // A deleted application's uid is free.
  ASSERT_TRUE(this->store_->Delete("b").ok());
  auto freed = this->store_->Update("a", Change(std::nullopt, std::optional<std::string>("b")));
  ASSERT_TRUE(freed.ok()) << freed.status().ToString();
  EXPECT_EQ(freed->uid, "b");
  // A deleted application is not updated.
  ASSERT_TRUE(this->store_->Delete("b").ok());
  EXPECT_EQ(this->store_->Update(a.id, Change("x")).status().kind(), ErrorKind::kNotFound);
}

TYPED_TEST(ApplicationStoreTest, TheDefaultApplicationKeepsItsUidAndIsNotDeleted) {
  for (const auto& uid : {std::optional<std::string>("other"), std::optional<std::string>()}) {
    auto changed = this->store_->Update("default", Change(std::nullopt, uid));
    EXPECT_EQ(changed.status().kind(), ErrorKind::kConflict);
    EXPECT_EQ(changed.status().code(), "default_application");
  }
  // Its name, its metadata, and its own uid again are fine.
  auto renamed = this->store_->Update(
      kDefaultAppId, Change("Main", std::optional<std::string>("default"), {{{"k", "v"}}}));
  ASSERT_TRUE(renamed.ok()) << renamed.status().ToString();
  EXPECT_EQ(renamed->name, "Main");
  EXPECT_EQ(renamed->uid, "default");
  for (const std::string& key : {std::string(kDefaultAppId), std::string("default")}) {
    Status s = this->store_->Delete(key);
    EXPECT_EQ(s.kind(), ErrorKind::kConflict) << key;
    EXPECT_EQ(s.code(), "default_application") << key;
  }
  EXPECT_TRUE(this->store_->Get("default").ok());
  EXPECT_EQ(this->engine_.Text("SELECT count(*) FROM applications WHERE deleted_at IS NOT NULL"),
            "0");
}

TYPED_TEST(ApplicationStoreTest, DeleteTakesItsEndpointsAndSourcesOnly) {
  Application doomed = this->Make("Doomed", "doomed");
  Application kept = this->Make("Kept", "kept");
  auto sources = this->engine_.MakeSourceStore();
  auto endpoints = this->engine_.MakeEndpointStore();
  ASSERT_TRUE(sources->Insert(MakeSource("src_d1", doomed.id)).ok());
  ASSERT_TRUE(sources->Insert(MakeSource("src_d2", doomed.id)).ok());
  ASSERT_TRUE(sources->Insert(MakeSource("src_k", kept.id)).ok());
  ASSERT_TRUE(endpoints->Insert(MakeEndpoint("ep_d", doomed.id)).ok());
  ASSERT_TRUE(endpoints->Insert(MakeEndpoint("ep_k", kept.id)).ok());
  std::vector<std::vector<std::string>> calls;
  this->store_->OnSourcesDeleted(
      [&](const std::vector<std::string>& ids) { calls.push_back(ids); });

  this->clock_.Advance(std::chrono::milliseconds(3));
  ASSERT_TRUE(this->store_->Delete("doomed").ok());
  ASSERT_EQ(calls.size(), 1u);
  std::vector<std::string> got = calls[0];
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"src_d1", "src_d2"}));
  EXPECT_EQ(this->Count(Cat("SELECT count(*) FROM sources WHERE app_id = '", doomed.id, "'")), 0);
  EXPECT_EQ(this->Count(Cat("SELECT count(*) FROM endpoints WHERE app_id = '", doomed.id, "'")), 0);
  EXPECT_EQ(this->Count(Cat("SELECT count(*) FROM sources WHERE app_id = '", kept.id, "'")), 1);
  EXPECT_EQ(this->Count(Cat("SELECT count(*) FROM endpoints WHERE app_id = '", kept.id, "'")), 1);
  // Marked, not removed (the reaper removes it).
  EXPECT_EQ(
      this->engine_.Text(Cat("SELECT deleted_at FROM applications WHERE id = '", doomed.id, "'")),
      std::to_string(kNow + 3));
  EXPECT_EQ(
      this->engine_.Text(Cat("SELECT updated_at FROM applications WHERE id = '", doomed.id, "'")),
      std::to_string(kNow + 3));

  // Gone for every call, and nothing more goes under it.
  EXPECT_EQ(this->store_->Get("doomed").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Resolve(doomed.id).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->store_->Delete(doomed.id).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(endpoints->Insert(MakeEndpoint("ep_late", doomed.id)).kind(), ErrorKind::kNotFound);
  EXPECT_EQ(sources->Insert(MakeSource("src_late", doomed.id)).kind(), ErrorKind::kInvalidField);
  EXPECT_EQ(calls.size(), 1u);

  // No sources: no call.
  Application empty = this->Make("Empty");
  ASSERT_TRUE(this->store_->Delete(empty.id).ok());
  EXPECT_EQ(calls.size(), 1u);
}

TYPED_TEST(ApplicationStoreTest, ListIsNewestFirstInCreationOrderWithItsCursor) {
  // One millisecond: the ids' order is random, the list's is the creation order.
  std::vector<std::string> made;
  for (int i = 0; i < 12; ++i) made.push_back(this->Make(Cat("app ", std::to_string(i))).id);
  std::vector<std::string> expected(made.rbegin(), made.rend());
  expected.push_back(kDefaultAppId);
  EXPECT_EQ(this->Ids(std::nullopt), expected);

  // Pages of 5: each holds limit + 1 rows, the last telling there are more.
  auto page = this->store_->List(std::nullopt, std::nullopt, 5);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 6u);
  std::vector<std::string> walked;
  std::optional<std::string> after;
  while (true) {
    auto ids = this->Ids(std::nullopt, after, 5);
    const bool more = ids.size() > 5;
    if (more) ids.resize(5);
    walked.insert(walked.end(), ids.begin(), ids.end());
    if (!more) break;
    after = ids.back();
  }
  EXPECT_EQ(walked, expected);

  // Deleted ones are not listed, and a deleted one still works as a cursor.
  ASSERT_TRUE(this->store_->Delete(made[5]).ok());
  auto after_deleted = this->Ids(std::nullopt, made[5]);
  EXPECT_EQ(after_deleted,
            (std::vector<std::string>{made[4], made[3], made[2], made[1], made[0], kDefaultAppId}));
  auto all = this->Ids(std::nullopt);
  EXPECT_EQ(all.size(), expected.size() - 1);
  EXPECT_EQ(std::count(all.begin(), all.end(), made[5]), 0);
  // A cursor that is no application gives nothing.
  EXPECT_TRUE(this->Ids(std::nullopt, std::string("app_nope")).empty());
  // The oldest as the cursor: nothing after it.
  EXPECT_TRUE(this->Ids(std::nullopt, std::string(kDefaultAppId)).empty());
}

TYPED_TEST(ApplicationStoreTest, SearchMatchesTheStartOfNameOrUidOrTheWholeId) {
  Application acme = this->Make("Acme Corp", "acme-1");
  Application beta = this->Make("Beta", "b_2");
  Application pct = this->Make("100% Real", "x.y");
  Application accent = this->Make("Élan", "elan");
  Application corp = this->Make("The Corp", "thecorp");
  // Name prefixes, ASCII letters in either case (as SQLite's LIKE).
  EXPECT_EQ(this->Ids(std::string("acme")), (std::vector<std::string>{acme.id}));
  EXPECT_EQ(this->Ids(std::string("ACME c")), (std::vector<std::string>{acme.id}));
  EXPECT_EQ(this->Ids(std::string("bE")), (std::vector<std::string>{beta.id}));
  // Not the middle of a name.
  EXPECT_TRUE(this->Ids(std::string("Corp")).empty());
  EXPECT_EQ(this->Ids(std::string("the")), (std::vector<std::string>{corp.id}));
  // Uid prefixes.
  EXPECT_EQ(this->Ids(std::string("acme-")), (std::vector<std::string>{acme.id}));
  EXPECT_EQ(this->Ids(std::string("x.")), (std::vector<std::string>{pct.id}));
  EXPECT_EQ(this->Ids(std::string("El")), (std::vector<std::string>{accent.id}));  // the uid
  // The wildcards are plain characters.
  EXPECT_EQ(this->Ids(std::string("100%")), (std::vector<std::string>{pct.id}));
  EXPECT_TRUE(this->Ids(std::string("1%")).empty());
  EXPECT_EQ(this->Ids(std::string("b_")), (std::vector<std::string>{beta.id}));
  EXPECT_TRUE(this->Ids(std::string("a_")).empty());
  EXPECT_TRUE(this->Ids(std::string("%")).empty());
  EXPECT_TRUE(this->Ids(std::string("\\")).empty());
  // Letters beyond ASCII are compared as they are.
  EXPECT_EQ(this->Ids(std::string("Él")), (std::vector<std::string>{accent.id}));
  EXPECT_TRUE(this->Ids(std::string("él")).empty());
  // A whole id, not a prefix of one.
  EXPECT_EQ(this->Ids(beta.id), (std::vector<std::string>{beta.id}));
  EXPECT_TRUE(this->Ids(beta.id.substr(0, beta.id.size() - 1)).empty());
  // The default application by its name and uid.
  EXPECT_EQ(this->Ids(std::string("def")), (std::vector<std::string>{kDefaultAppId}));
  // An empty search matches every name.
  EXPECT_EQ(this->Ids(std::string("")).size(), 6u);
  // Deleted ones are not found, and the search pages with the cursor.
  ASSERT_TRUE(this->store_->Delete(beta.id).ok());
  EXPECT_TRUE(this->Ids(std::string("beta")).empty());
  Application acme2 = this->Make("acme two");
  EXPECT_EQ(this->Ids(std::string("acme")), (std::vector<std::string>{acme2.id, acme.id}));
  EXPECT_EQ(this->Ids(std::string("acme"), acme2.id), (std::vector<std::string>{acme.id}));
  auto limited = this->Ids(std::string("acme"), std::nullopt, 1);
  EXPECT_EQ(limited, (std::vector<std::string>{acme2.id, acme.id}));  // limit + 1
}

}  // namespace
}  // namespace hookd::testing
