#include "web/stream_hub.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/json_limits.h"
#include "common/json_text.h"
#include "tests/unit/web/fake_status_source.h"
#include "web/send_queue.h"

namespace hookd {
namespace {

// A sink that keeps what it is offered.
class RecordingSink final : public PerEntrySink {
 public:
  void OnEntry(const StreamEntryPtr& entry) override { got.push_back(entry); }
  std::vector<int64_t> Seqs() const {
    std::vector<int64_t> out;
    for (const auto& e : got) out.push_back(e->seq);
    return out;
  }
  std::vector<StreamEntryPtr> got;
};

std::vector<int64_t> SeqsOf(const std::vector<StreamEntryPtr>& entries) {
  std::vector<int64_t> out;
  for (const auto& e : entries) out.push_back(e->seq);
  return out;
}

FetchResult FetchNow(StatusHub& hub, int64_t after, const StreamFilter& filter, size_t limit) {
  FetchResult out;
  bool called = false;
  hub.Fetch(after, filter, limit, [&](FetchResult r) {
    out = std::move(r);
    called = true;
  });
  EXPECT_TRUE(called) << "a hub that is not started answers Fetch on the calling thread";
  return out;
}

// Options whose hub always reads entries into its ring, client or not (the ring's own tests).
StatusHubOptions RingOptions() {
  StatusHubOptions o;
  o.idle_after.reset();
  return o;
}

class StatusHubTest : public ::testing::Test {
 protected:
  FakeStatusSource source;
};

TEST_F(StatusHubTest, StartsAtTheEndOfTheLogAndFeedsNewEntriesToAttachedSinks) {
  source.Append("message.created");
  source.Append("message.created");
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(hub.last_seq(), 2);

  auto sink = std::make_shared<RecordingSink>();
  auto backlog = hub.Attach(sink, {}, std::nullopt);  // from now
  ASSERT_TRUE(backlog.has_value());
  EXPECT_TRUE(backlog->empty());

  source.Append("delivery.attempted", {{"endpoint_id", "ep_1"}});
  ASSERT_TRUE(hub.PollOnce().ok());
  ASSERT_EQ(sink->Seqs(), std::vector<int64_t>{3});
  const StreamEntry& e = *sink->got[0];
  EXPECT_EQ(e.type, "delivery.attempted");
  EXPECT_EQ(e.endpoint_id, "ep_1");
  auto json = nlohmann::json::parse(*e.json);
  EXPECT_EQ(json["seq"], 3);
  EXPECT_EQ(json["type"], "delivery.attempted");
  EXPECT_EQ(json["data"]["endpoint_id"], "ep_1");
  EXPECT_EQ(*e.sse, "id: 3\nevent: delivery.attempted\ndata: " + *e.json + "\n\n");
}

TEST_F(StatusHubTest, ResumeInsideTheRingHasNoGapAndNoRepeat) {
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  for (int i = 0; i < 10; ++i) source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());

  auto sink = std::make_shared<RecordingSink>();
  auto backlog = hub.Attach(sink, {}, 5);
  ASSERT_TRUE(backlog.has_value());
  EXPECT_EQ(SeqsOf(*backlog), (std::vector<int64_t>{6, 7, 8, 9, 10}));
  source.Append("message.created");
  source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  ASSERT_TRUE(hub.PollOnce().ok());  // a second poll publishes nothing twice
  EXPECT_EQ(sink->Seqs(), (std::vector<int64_t>{11, 12}));
}

TEST_F(StatusHubTest, ResumeOlderThanTheRingReadsTheGapFromTheDatabaseInPages) {
  StatusHubOptions options = RingOptions();
  options.ring_capacity = 4;
  options.page_size = 3;
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.PollOnce().ok());
  for (int i = 0; i < 10; ++i) source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());  // the ring now holds 7..10

  auto sink = std::make_shared<RecordingSink>();
  EXPECT_FALSE(hub.Attach(sink, {}, 2).has_value()) << "2 is older than the ring";
  EXPECT_EQ(hub.subscriber_count(), 0u);

  const int reads_before = source.reads;
  FetchResult first = FetchNow(hub, 2, {}, 5);
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(SeqsOf(first.entries), (std::vector<int64_t>{3, 4, 5, 6, 7}));
  EXPECT_EQ(first.next, 7);
  EXPECT_EQ(source.reads - reads_before, 2) << "two pages of three";

  // 7 is inside the ring: attach from there and get the rest without the database.
  const int reads_after_fetch = source.reads;
  auto backlog = hub.Attach(sink, {}, first.next);
  ASSERT_TRUE(backlog.has_value());
  EXPECT_EQ(SeqsOf(*backlog), (std::vector<int64_t>{8, 9, 10}));
  EXPECT_EQ(source.reads, reads_after_fetch);
}

TEST_F(StatusHubTest, FetchOfAPrunedGapEndsAtTheRingInsteadOfLooping) {
  StatusHubOptions options = RingOptions();
  options.ring_capacity = 2;
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.PollOnce().ok());
  for (int i = 0; i < 6; ++i) source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());  // ring: 5, 6; floor 4
  source.PruneThrough(6);            // nothing older than the ring is left in the database
  FetchResult r = FetchNow(hub, 1, {}, 100);
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(r.next, 4) << "resume at the ring's floor, which Attach accepts";
  EXPECT_TRUE(hub.Attach(std::make_shared<RecordingSink>(), {}, r.next).has_value());
}

TEST_F(StatusHubTest, FiltersApplyToBacklogLiveEntriesAndFetches) {
  StatusHubOptions options = RingOptions();
  options.ring_capacity = 100;
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.PollOnce().ok());
  source.Append("delivery.attempted", {{"endpoint_id", "ep_a"}, {"source_id", "src_1"}});  // 1
  source.Append("delivery.failed", {{"endpoint_id", "ep_b"}});                             // 2
  source.Append("message.created", {{"source_id", "src_1"}});                              // 3
  source.Append("delivery.succeeded", {{"endpoint_id", "ep_a"}});                          // 4
  source.Append("endpoint.disabled", {{"endpoint_id", "ep_a"}});                           // 5
  ASSERT_TRUE(hub.PollOnce().ok());

  StreamFilter by_endpoint;
  by_endpoint.endpoint_id = "ep_a";
  EXPECT_EQ(SeqsOf(*hub.Attach(std::make_shared<RecordingSink>(), by_endpoint, 0)),
            (std::vector<int64_t>{1, 4, 5}));

  StreamFilter by_source;
  by_source.source_id = "src_1";
  EXPECT_EQ(SeqsOf(FetchNow(hub, 0, by_source, 10).entries), (std::vector<int64_t>{1, 3}));

  StreamFilter by_types;
  by_types.types = {"delivery.*", "endpoint.disabled"};
  by_types.endpoint_id = "ep_a";
  auto live = std::make_shared<RecordingSink>();
  EXPECT_EQ(SeqsOf(*hub.Attach(live, by_types, 0)), (std::vector<int64_t>{1, 4, 5}));
  source.Append("delivery.retrying", {{"endpoint_id", "ep_a"}});  // 6: matches
  source.Append("delivery.retrying", {{"endpoint_id", "ep_b"}});  // 7: other endpoint
  source.Append("endpoint.enabled", {{"endpoint_id", "ep_a"}});   // 8: other type
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(live->Seqs(), std::vector<int64_t>{6});
}

TEST_F(StatusHubTest, EveryClientSharesOneSerializationAndNoClientCausesAQuery) {
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  std::vector<std::shared_ptr<RecordingSink>> sinks;
  for (int i = 0; i < 200; ++i) {
    sinks.push_back(std::make_shared<RecordingSink>());
    ASSERT_TRUE(hub.Attach(sinks.back(), {}, std::nullopt).has_value());
  }
  for (int i = 0; i < 50; ++i) source.Append("message.created");
  const int reads_before = source.reads;
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(source.reads - reads_before, 1) << "one page of 50 read once for 200 clients";
  for (const auto& s : sinks) {
    ASSERT_EQ(s->got.size(), 50u);
    EXPECT_EQ(s->got[0]->json.get(), sinks[0]->got[0]->json.get()) << "the same bytes";
  }
}

TEST_F(StatusHubTest, IndexedFiltersGetEveryMatchingLiveEntryOnce) {
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  auto attach = [&](StreamFilter f) {
    auto sink = std::make_shared<RecordingSink>();
    EXPECT_TRUE(hub.Attach(sink, f, std::nullopt).has_value());
    return sink;
  };
  StreamFilter overlapping;  // both patterns match delivery.failed: offered once
  overlapping.types = {"delivery.*", "delivery.failed"};
  StreamFilter nested;
  nested.types = {"a.b.*"};
  StreamFilter by_source;
  by_source.source_id = "src_1";
  StreamFilter endpoint_and_types;
  endpoint_and_types.endpoint_id = "ep_a";
  endpoint_and_types.types = {"delivery.*"};
  StreamFilter source_and_type;  // indexed by source, checked on both
  source_and_type.source_id = "src_1";
  source_and_type.types = {"message.created"};
  auto all = attach({});
  auto s_overlapping = attach(overlapping);
  auto s_nested = attach(nested);
  auto s_source = attach(by_source);
  auto s_endpoint = attach(endpoint_and_types);
  auto s_source_type = attach(source_and_type);

  source.Append("delivery.failed", {{"endpoint_id", "ep_a"}, {"source_id", "src_1"}});  // 1
  source.Append("a.b.c", {{"source_id", "src_2"}});                                     // 2
  source.Append("a.bc");                                                                // 3
  source.Append("message.created", {{"source_id", "src_1"}});                           // 4
  source.Append("delivery.succeeded", {{"endpoint_id", "ep_b"}});                       // 5
  source.Append("endpoint.disabled", {{"endpoint_id", "ep_a"}});                        // 6
  ASSERT_TRUE(hub.PollOnce().ok());

  EXPECT_EQ(all->Seqs(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s_overlapping->Seqs(), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(s_nested->Seqs(), (std::vector<int64_t>{2}));
  EXPECT_EQ(s_source->Seqs(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(s_endpoint->Seqs(), (std::vector<int64_t>{1}));
  EXPECT_EQ(s_source_type->Seqs(), (std::vector<int64_t>{4}));

  // Detaching one sink of a bucket leaves the others; attaching again replaces the filter.
  EXPECT_EQ(hub.Detach(s_overlapping.get()), 6);
  StreamFilter disabled;
  disabled.types = {"endpoint.disabled"};
  ASSERT_TRUE(hub.Attach(s_source, disabled, std::nullopt).has_value());
  EXPECT_EQ(hub.subscriber_count(), 5u);
  source.Append("delivery.failed", {{"source_id", "src_1"}});     // 7
  source.Append("endpoint.disabled", {{"endpoint_id", "ep_b"}});  // 8
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(s_overlapping->Seqs(), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(s_source->Seqs(), (std::vector<int64_t>{1, 4, 8}));
  EXPECT_EQ(all->Seqs(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

// An application's filter (what an application token's stream always has) gets its own
// application's entries and nothing else, live, from the ring and from the database; entries
// written before applications (no app_id in their data) are the default application's.
TEST_F(StatusHubTest, AnApplicationFilterGetsOnlyThatApplicationsEntriesLiveAndFetched) {
  source.Append("message.created");  // 1: before applications
  StatusHub hub(source, StatusHubOptions{.ring_capacity = 4,
                                         .page_size = 2,
                                         .max_pages_per_fetch = 20,
                                         .fallback_poll = std::chrono::milliseconds(1000),
                                         .min_read_interval = std::chrono::milliseconds(20),
                                         .idle_after = std::nullopt});
  ASSERT_TRUE(hub.PollOnce().ok());
  auto attach = [&](StreamFilter f) {
    auto sink = std::make_shared<RecordingSink>();
    EXPECT_TRUE(hub.Attach(sink, f, std::nullopt).has_value());
    return sink;
  };
  StreamFilter acme;
  acme.app_id = "app_acme";
  StreamFilter acme_foreign_endpoint = acme;  // indexed by endpoint, still held to its app
  acme_foreign_endpoint.endpoint_id = "ep_globex";
  StreamFilter acme_types = acme;
  acme_types.types = {"delivery.*"};
  StreamFilter default_app;
  default_app.app_id = "app_default";
  auto s_acme = attach(acme);
  auto s_foreign = attach(acme_foreign_endpoint);
  auto s_types = attach(acme_types);
  auto s_default = attach(default_app);

  source.Append("message.created", {{"app_id", "app_acme"}});  // 2
  source.Append("delivery.succeeded",
                {{"app_id", "app_globex"}, {"endpoint_id", "ep_globex"}});                    // 3
  source.Append("delivery.succeeded", {{"app_id", "app_acme"}, {"endpoint_id", "ep_acme"}});  // 4
  source.Append("endpoint.disabled",
                {{"app_id", "app_globex"}, {"endpoint_id", "ep_globex"}});  // 5
  source.Append("delivery.failed");                                         // 6
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(s_acme->Seqs(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(s_foreign->Seqs(), (std::vector<int64_t>{}));
  EXPECT_EQ(s_types->Seqs(), (std::vector<int64_t>{4}));
  EXPECT_EQ(s_default->Seqs(), (std::vector<int64_t>{6}));
  EXPECT_EQ(s_acme->got[0]->app_id, "app_acme");

  // A resume older than the ring (capacity 4) is read from the database under the same filter.
  FetchResult old = FetchNow(hub, 0, acme, 100);
  ASSERT_TRUE(old.status.ok());
  EXPECT_EQ(SeqsOf(old.entries), (std::vector<int64_t>{2, 4}));
  FetchResult old_default = FetchNow(hub, 0, default_app, 100);
  EXPECT_EQ(SeqsOf(old_default.entries), (std::vector<int64_t>{1, 6}));
}

TEST_F(StatusHubTest, AnUnfilteredSinkGetsOneCallPerReadWithTheBatchsConcatenatedBlocks) {
  struct BatchSink final : StreamSink {
    void OnEntries(const StreamBatchPtr& batch, const StreamPicks& picks) override {
      calls.push_back({batch, picks.from, picks.to, picks.list != nullptr});
    }
    struct Call {
      StreamBatchPtr batch;
      uint32_t from, to;
      bool listed;
    };
    std::vector<Call> calls;
  };
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  auto sink = std::make_shared<BatchSink>();
  ASSERT_TRUE(hub.Attach(sink, {}, std::nullopt).has_value());
  for (int i = 0; i < 30; ++i) source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  ASSERT_EQ(sink->calls.size(), 1u);
  const auto& call = sink->calls[0];
  EXPECT_FALSE(call.listed);
  EXPECT_EQ(call.from, 0u);
  EXPECT_EQ(call.to, 30u);
  std::string joined;
  for (const auto& e : call.batch->entries) joined += *e->sse;
  EXPECT_EQ(call.batch->sse, joined);
  EXPECT_EQ(call.batch->sse_end.back(), joined.size());
  EXPECT_EQ(call.batch->sse.substr(call.batch->SseBegin(1),
                                   call.batch->sse_end[1] - call.batch->SseBegin(1)),
            *call.batch->entries[1]->sse);
}

TEST_F(StatusHubTest, FetchFromTheRingStopsAtTheLimitWithNextAtTheLastEntry) {
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  for (int i = 0; i < 8; ++i) source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  FetchResult r = FetchNow(hub, 2, {}, 3);
  EXPECT_EQ(SeqsOf(r.entries), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(r.next, 5);
  FetchResult rest = FetchNow(hub, 5, {}, 100);
  EXPECT_EQ(SeqsOf(rest.entries), (std::vector<int64_t>{6, 7, 8}));
  EXPECT_EQ(rest.next, 8);
  StreamFilter none;
  none.types = {"endpoint.disabled"};
  FetchResult empty = FetchNow(hub, 0, none, 100);
  EXPECT_TRUE(empty.entries.empty());
  EXPECT_EQ(empty.next, 8) << "nothing matched up to the end";
}

TEST_F(StatusHubTest, DetachedSinksAndDestroyedSinksGetNothingMore) {
  StatusHub hub(source, RingOptions());
  ASSERT_TRUE(hub.PollOnce().ok());
  auto kept = std::make_shared<RecordingSink>();
  auto detached = std::make_shared<RecordingSink>();
  auto destroyed = std::make_shared<RecordingSink>();
  for (auto& s : {kept, detached, destroyed}) ASSERT_TRUE(hub.Attach(s, {}, std::nullopt));
  source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(hub.Detach(detached.get()), 1);
  destroyed.reset();
  source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(kept->Seqs(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(detached->Seqs(), std::vector<int64_t>{1});
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

TEST_F(StatusHubTest, StartedHubReadsWhenNotifiedAndAnswersDatabaseFetchesOnItsThread) {
  StatusHubOptions options = RingOptions();
  options.ring_capacity = 2;
  options.fallback_poll = std::chrono::hours(1);  // only Notify wakes it in this test
  StatusHub hub(source, options);
  for (int i = 0; i < 5; ++i) source.Append("message.created");
  ASSERT_TRUE(hub.Start().ok());
  struct Waiter final : PerEntrySink {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<int64_t> seqs;
    void OnEntry(const StreamEntryPtr& e) override {
      std::lock_guard<std::mutex> lock(mu);
      seqs.push_back(e->seq);
      cv.notify_all();
    }
  };
  auto sink = std::make_shared<Waiter>();
  ASSERT_TRUE(hub.Attach(sink, {}, std::nullopt));
  source.Append("message.created");  // 6 (the fake is read on the hub's thread after Notify)
  hub.Notify();
  {
    std::unique_lock<std::mutex> lock(sink->mu);
    ASSERT_TRUE(
        sink->cv.wait_for(lock, std::chrono::seconds(10), [&] { return !sink->seqs.empty(); }));
    EXPECT_EQ(sink->seqs, std::vector<int64_t>{6});
  }
  std::promise<FetchResult> done;
  hub.Fetch(0, {}, 100, [&](FetchResult r) { done.set_value(std::move(r)); });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(SeqsOf(f.get().entries), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  hub.Stop();
}

TEST(SendQueueTest, RefusesPastItsBoundUnlessForcedAndKeepsTheFrameBeingWritten) {
  auto frame = [](size_t n) { return std::make_shared<const std::string>(n, 'x'); };
  SendQueue q(100);
  EXPECT_TRUE(q.Push(frame(60)));
  EXPECT_TRUE(q.Push(frame(40)));
  EXPECT_FALSE(q.Push(frame(1))) << "101 bytes would pass the bound";
  EXPECT_EQ(q.bytes(), 100u);
  EXPECT_TRUE(q.Push(frame(10), /*force=*/true));
  EXPECT_EQ(q.size(), 3u);
  q.ClearAfterFront();
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.bytes(), 60u);
  q.Pop();
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.Push(frame(500))) << "one large frame fits an empty queue";
}

// The streams pass the log's data text on as it is (no parse and dump per entry): the text sent
// is the same as writing the parsed entry, for data written the two ways the log is written.
TEST(StreamEntry, TheStoredDataTextIsSentAsTheParsedEntryWouldBe) {
  JsonObjectText direct;
  direct.Int("attempt", 2).Str("delivery_id", "dlv_1").Str("endpoint_id", "ep_\xc3\xa9\x01\"/");
  direct.Str("error", "bad \xff byte\n").Null("response_status");
  const nlohmann::json dumped = {{"source_id", "src_9"},
                                 {"reason", "caf\xc3\xa9 \u2028"},
                                 {"n", -3},
                                 {"nested", {{"endpoint_id", "ep_inner"}}}};
  for (const std::string& text : {direct.Text(), DumpJson(dumped)}) {
    StatusEntry raw{42, "delivery.attempted", 1'790'000'000'123, nullptr, text};
    StatusEntry parsed{42, "delivery.attempted", 1'790'000'000'123, nlohmann::json::parse(text),
                       ""};
    const StreamEntryPtr a = MakeStreamEntry(raw), b = MakeStreamEntry(parsed);
    EXPECT_EQ(*a->json, *b->json);
    EXPECT_EQ(*a->sse, *b->sse);
    EXPECT_EQ(a->endpoint_id, b->endpoint_id);
    EXPECT_EQ(a->source_id, b->source_id);
  }
  EXPECT_EQ(MakeStreamEntry({1, "t", 0, nullptr, DumpJson(dumped)})->source_id, "src_9");
  EXPECT_EQ(MakeStreamEntry({1, "t", 0, nullptr, DumpJson(dumped)})->endpoint_id, "");
}

TEST(StreamEntry, StoredTextThatCannotBePassedOnIsWrittenAgain) {
  // Line breaks between tokens would end the SSE data line.
  const StreamEntryPtr spaced =
      MakeStreamEntry({5, "endpoint.disabled", 0, nullptr, "{\n \"endpoint_id\": \"ep_1\"\r\n}"});
  EXPECT_EQ(spaced->json->find_first_of("\r\n"), std::string::npos) << *spaced->json;
  EXPECT_EQ(nlohmann::json::parse(*spaced->json)["data"]["endpoint_id"], "ep_1");
  EXPECT_EQ(spaced->endpoint_id, "ep_1");
  // Not JSON at all: the entry is still sent, valid, with null data.
  const StreamEntryPtr broken = MakeStreamEntry({6, "endpoint.disabled", 0, nullptr, "{\"endpo"});
  const auto doc = nlohmann::json::parse(*broken->json, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << *broken->json;
  EXPECT_TRUE(doc["data"].is_null());
  EXPECT_EQ(doc["seq"], 6);
  EXPECT_EQ(broken->endpoint_id, "");
}

}  // namespace
}  // namespace hookd

namespace hookd {
namespace {

TEST_F(StatusHubTest, WithNobodyReadingAPollReadsOnlyTheLogsEndAndAResumeBeforeItComesFromTheLog) {
  StatusHubOptions options;
  options.idle_after = std::chrono::milliseconds(0);
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.PollOnce().ok());
  for (int i = 0; i < 5; ++i) source.Append("message.created");
  const int reads_before = source.reads;
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(source.reads, reads_before) << "no entry is read while nobody reads the stream";
  EXPECT_EQ(hub.last_seq(), 5);

  // A client resuming from before that point gets every entry after its point, from the log.
  auto sink = std::make_shared<RecordingSink>();
  EXPECT_FALSE(hub.Attach(sink, {}, int64_t{2}).has_value()) << "older than the ring";
  FetchResult caught_up = FetchNow(hub, 2, {}, 100);
  ASSERT_TRUE(caught_up.status.ok());
  EXPECT_EQ(SeqsOf(caught_up.entries), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(caught_up.next, 5);

  // Once attached, it is fed the entries after that, read as usual.
  auto backlog = hub.Attach(sink, {}, caught_up.next);
  ASSERT_TRUE(backlog.has_value());
  EXPECT_TRUE(backlog->empty());
  source.Append("delivery.attempted");
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(sink->Seqs(), std::vector<int64_t>{6});
}

TEST_F(StatusHubTest, AHubWithARecentClientKeepsReadingEntriesIntoTheRing) {
  StatusHub hub(source);  // idle until a client comes, then 30 s after the last one
  source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  EXPECT_EQ(source.reads, 0) << "nobody has read the stream yet";
  EXPECT_TRUE(FetchNow(hub, 1, {}, 100).entries.empty());  // a client
  source.Append("message.created");
  source.Append("message.created");
  ASSERT_TRUE(hub.PollOnce().ok());
  // Served from the ring: no read of the log.
  const int reads_before = source.reads;
  FetchResult r = FetchNow(hub, 1, {}, 100);
  EXPECT_EQ(SeqsOf(r.entries), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(source.reads, reads_before);
}

// A sink fed on the hub's thread, for tests of a started hub.
class CountingSink final : public PerEntrySink {
 public:
  void OnEntry(const StreamEntryPtr&) override { ++count; }
  std::atomic<int> count{0};
};

TEST_F(StatusHubTest, CommitsDoNotWakeAnIdleReaderWhichReadsTheLogsEndAtItsIdlePoll) {
  StatusHubOptions options;  // idle from start: no client yet
  options.idle_poll = std::chrono::milliseconds(200);
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.Start().ok());
  const int before = source.end_reads.load();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 600; ++i) {  // 1,000 commits a second for 0.6 s
    hub.Notify();
    std::this_thread::sleep_for(std::chrono::microseconds(1000));
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  const int reads = source.end_reads.load() - before;
  const int polls = static_cast<int>(elapsed / std::chrono::milliseconds(200));
  // Woken by every commit, the reader read the log's end every min_read_interval (20 ms), 30
  // times in 0.6 s.
  EXPECT_LE(reads, polls + 2) << "over " << elapsed / std::chrono::milliseconds(1) << " ms";
  EXPECT_GE(reads, 1) << "the idle poll still reads the log's end";
  hub.Stop();
}

TEST_F(StatusHubTest, AnIdleHubWithoutCommitsReadsOnlyAtItsFallbackPoll) {
  StatusHubOptions options;
  options.fallback_poll = std::chrono::milliseconds(300);
  options.idle_poll = std::chrono::milliseconds(20);  // for commits only
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.Start().ok());
  const int before = source.end_reads.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const int reads = source.end_reads.load() - before;
  EXPECT_LE(reads, 4) << "no commit, no client: one read per fallback poll";
  EXPECT_GE(reads, 2);
  hub.Stop();
}

TEST_F(StatusHubTest, AClientArrivingWhileIdleIsFedTheNotedCommitsWithoutWaitingForTheIdlePoll) {
  StatusHubOptions options;
  options.idle_poll = std::chrono::milliseconds(5000);
  options.fallback_poll = std::chrono::milliseconds(5000);
  options.min_read_interval = std::chrono::milliseconds(1);
  StatusHub hub(source, options);
  ASSERT_TRUE(hub.Start().ok());
  source.Append("message.created");
  hub.Notify();  // noted; the idle reader is not woken
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto sink = std::make_shared<CountingSink>();
  ASSERT_TRUE(hub.Attach(sink, {}, int64_t{0}).has_value());  // resumes from the start
  const auto t0 = std::chrono::steady_clock::now();
  while (sink->count.load() < 1 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(sink->count.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1))
      << "an attached client's commit is read at once, not at a poll";
  hub.Detach(sink.get());
  hub.Stop();
}

}  // namespace
}  // namespace hookd
