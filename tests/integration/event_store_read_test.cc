// Reading events back through the event store, on both engines: Get returns every field with the
// body's bytes as received, List pages newest first with the `after` cursor and filters by source
// and type, and an unknown id is 404.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ingest/sqlite_event_store.h"
#include "storage/pg/pg_event_store.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

std::unique_ptr<EventStore> OpenEventStore(SqliteEngine& engine) {
  auto store = SqliteEventStore::Open(engine.pool());
  if (!store.ok()) throw std::runtime_error(store.status().ToString());
  return std::move(store).value();
}
std::unique_ptr<EventStore> OpenEventStore(PgEngine& engine) {
  return std::make_unique<PgEventStore>(engine.pool());
}

template <typename Engine>
class EventStoreReadTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    store_ = OpenEventStore(this->engine_);
  }

  // Commits evt_0 ... evt_<n-1>, one per batch, alternating between two sources and two types.
  void CommitEvents(int n) {
    for (int i = 0; i < n; ++i) {
      Event e;
      e.id = "evt_" + std::to_string(i);
      e.source_id = i % 2 ? "src_odd" : "src_even";
      e.provider = "standard";
      e.provider_event_id = "key" + std::to_string(i);
      e.type = i % 3 ? "order.paid" : "order.created";
      e.headers_json = R"({"x":"1"})";
      e.body = "body";
      e.received_at = 1'700'000'000'000 + i;
      auto out = store_->CommitBatch({e});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
    }
  }

  std::vector<std::string> Ids(const EventFilter& filter, const std::optional<std::string>& after,
                               int limit) {
    auto page = store_->List(filter, after, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const Event& e : *page) ids.push_back(e.id);
    }
    return ids;
  }

  std::unique_ptr<EventStore> store_;
};

TYPED_TEST_SUITE(EventStoreReadTest, StoreEngines, EngineName);

TYPED_TEST(EventStoreReadTest, GetReturnsEveryFieldAndTheBodysBytes) {
  Event e;
  e.id = "evt_bytes";
  e.source_id = "src_1";
  e.provider = "github";
  e.provider_event_id = "delivery-1";
  e.type = "push";
  e.headers_json = R"({"content-type":"application/octet-stream"})";
  e.body = std::string("\x00\xff\xfe{not json\x80\n", 14);
  e.received_at = 1'700'000'000'123;
  ASSERT_TRUE(this->store_->CommitBatch({e}).ok());

  auto got = this->store_->Get("evt_bytes");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_GT(got->seq, 0);
  EXPECT_EQ(got->id, e.id);
  EXPECT_EQ(got->source_id, e.source_id);
  EXPECT_EQ(got->provider, e.provider);
  EXPECT_EQ(got->provider_event_id, e.provider_event_id);
  EXPECT_EQ(got->type, e.type);
  EXPECT_EQ(got->headers_json, e.headers_json);
  EXPECT_EQ(got->body, e.body);
  EXPECT_EQ(got->received_at, e.received_at);

  auto missing = this->store_->Get("evt_nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kNotFound);
}

TYPED_TEST(EventStoreReadTest, ListPagesNewestFirstWithoutBodies) {
  this->CommitEvents(7);
  auto page = this->store_->List({}, std::nullopt, 3);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->size(), 4u);  // limit + 1
  EXPECT_EQ((*page)[0].id, "evt_6");
  EXPECT_EQ((*page)[0].received_at, 1'700'000'000'006);
  EXPECT_EQ((*page)[0].provider_event_id, "key6");
  EXPECT_TRUE((*page)[0].body.empty());
  EXPECT_TRUE((*page)[0].headers_json.empty());
  EXPECT_GT((*page)[0].seq, (*page)[1].seq);

  EXPECT_EQ(this->Ids({}, "evt_4", 3),
            (std::vector<std::string>{"evt_3", "evt_2", "evt_1", "evt_0"}));
  EXPECT_EQ(this->Ids({}, "evt_1", 3), (std::vector<std::string>{"evt_0"}));
  EXPECT_TRUE(this->Ids({}, "evt_0", 3).empty());
  EXPECT_TRUE(this->Ids({}, "evt_unknown", 3).empty());
}

TYPED_TEST(EventStoreReadTest, ListFiltersBySourceAndType) {
  this->CommitEvents(7);
  EventFilter odd;
  odd.source_id = "src_odd";
  EXPECT_EQ(this->Ids(odd, std::nullopt, 10),
            (std::vector<std::string>{"evt_5", "evt_3", "evt_1"}));
  EXPECT_EQ(this->Ids(odd, "evt_5", 1), (std::vector<std::string>{"evt_3", "evt_1"}));
  EventFilter created;
  created.type = "order.created";
  EXPECT_EQ(this->Ids(created, std::nullopt, 10),
            (std::vector<std::string>{"evt_6", "evt_3", "evt_0"}));
  EventFilter both = odd;
  both.type = "order.created";
  EXPECT_EQ(this->Ids(both, std::nullopt, 10), (std::vector<std::string>{"evt_3"}));
  EventFilter none;
  none.source_id = "src_none";
  EXPECT_TRUE(this->Ids(none, std::nullopt, 10).empty());
}

}  // namespace
}  // namespace hookd::testing
