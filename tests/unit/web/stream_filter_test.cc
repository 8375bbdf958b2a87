#include "web/stream_filter.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "common/http_errors.h"

namespace hookd {
namespace {

using Query = std::map<std::string, std::string>;

// The HTTP status the listener would answer for a parse failure.
int StatusFor(const Query& q, std::optional<std::string_view> last_event_id = std::nullopt) {
  auto r = ParseStreamQuery(q, last_event_id);
  return r.ok() ? 200 : ErrorResponse(r.status()).status;
}

TEST(StreamQueryTest, ReadsFiltersResumePointAndTimeout) {
  auto q = ParseStreamQuery({{"endpoint_id", "ep_1"},
                             {"source_id", "src_1"},
                             {"types", "delivery.*,endpoint.disabled"},
                             {"after", "42"},
                             {"timeout", "5"},
                             {"unknown", "ignored"}},
                            std::nullopt);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->filter.endpoint_id, "ep_1");
  EXPECT_EQ(q->filter.source_id, "src_1");
  EXPECT_EQ(q->filter.types, (std::vector<std::string>{"delivery.*", "endpoint.disabled"}));
  EXPECT_EQ(q->after, 42);
  EXPECT_EQ(q->timeout, std::chrono::seconds(5));
}

TEST(StreamQueryTest, DefaultsAreFromNowEverythingAndThirtySeconds) {
  auto q = ParseStreamQuery({}, std::nullopt);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->after.has_value());
  EXPECT_TRUE(q->filter.types.empty());
  EXPECT_EQ(q->timeout, std::chrono::seconds(30));
}

TEST(StreamQueryTest, LastEventIdWinsOverAfter) {
  auto q = ParseStreamQuery({{"after", "3"}}, "17");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->after, 17);
}

TEST(StreamQueryTest, BadTypesAre422) {
  for (const char* types : {"", ",", "delivery.failed,", ",delivery.failed", "a,,b", "*",
                            "bad type", "delivery.failed;drop", ".*", "a.*.b*"}) {
    EXPECT_EQ(StatusFor({{"types", types}}), 422) << "types=" << types;
  }
  std::string many;
  for (int i = 0; i < 33; ++i) many += (i ? ",t" : "t") + std::to_string(i);
  EXPECT_EQ(StatusFor({{"types", many}}), 422);
}

TEST(StreamQueryTest, BadAfterAndTimeoutAre422AndABadLastEventIdIs400) {
  for (const char* after : {"", "-1", "abc", "1e3", " 1", "1 ", "+1", "99999999999999999999"})
    EXPECT_EQ(StatusFor({{"after", after}}), 422) << "after=" << after;
  for (const char* timeout : {"", "-1", "61", "x", "1.5"})
    EXPECT_EQ(StatusFor({{"timeout", timeout}}), 422) << "timeout=" << timeout;
  EXPECT_EQ(StatusFor({{"timeout", "0"}}), 200);
  EXPECT_EQ(StatusFor({{"timeout", "60"}}), 200);
  EXPECT_EQ(StatusFor({{"endpoint_id", ""}}), 422);
  EXPECT_EQ(StatusFor({}, "abc"), 400);
  auto r = ParseStreamQuery({}, "abc");
  EXPECT_EQ(r.status().code(), "invalid_last_event_id");
}

TEST(StreamFilterTest, MatchesIdsAndTypePatterns) {
  StreamFilter f;
  EXPECT_TRUE(f.Matches("anything", "", ""));
  f.types = {"delivery.*", "endpoint.disabled"};
  EXPECT_TRUE(f.Matches("delivery.failed", "", ""));
  EXPECT_TRUE(f.Matches("endpoint.disabled", "", ""));
  EXPECT_FALSE(f.Matches("endpoint.enabled", "", ""));
  EXPECT_FALSE(f.Matches("deliveryx.failed", "", ""));
  f.endpoint_id = "ep_1";
  EXPECT_TRUE(f.Matches("delivery.failed", "ep_1", ""));
  EXPECT_FALSE(f.Matches("delivery.failed", "ep_2", ""));
  EXPECT_FALSE(f.Matches("delivery.failed", "", "")) << "an entry without the id does not match";
  f.source_id = "src_1";
  EXPECT_FALSE(f.Matches("delivery.failed", "ep_1", "src_2"));
  EXPECT_TRUE(f.Matches("delivery.failed", "ep_1", "src_1"));
}

TEST(StreamFilterTest, AnApplicationFilterMatchesThatApplicationsEntriesOnly) {
  StreamFilter f;
  EXPECT_TRUE(f.Matches("message.created", "", "", "app_a")) << "no app filter: every app";
  f.app_id = "app_a";
  EXPECT_TRUE(f.Matches("message.created", "", "", "app_a"));
  EXPECT_FALSE(f.Matches("message.created", "", "", "app_b"));
  EXPECT_FALSE(f.Matches("message.created", "", "", "")) << "an entry without its app";
  EXPECT_FALSE(f.Matches("message.created", "", "")) << "the default application's entry";
  f.app_id = "app_default";
  EXPECT_TRUE(f.Matches("message.created", "", ""));
}

TEST(StreamQueryTest, ReadsTheApplicationFilter) {
  auto q = ParseStreamQuery({{"app_id", "app_a"}, {"types", "delivery.*"}}, std::nullopt);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->filter.app_id, "app_a");
  EXPECT_EQ(StatusFor({{"app_id", ""}}), 422);
  EXPECT_EQ(StatusFor({{"app_id", std::string(129, 'a')}}), 422);
  EXPECT_FALSE(ParseStreamQuery({}, std::nullopt)->filter.app_id.has_value());
}

}  // namespace
}  // namespace hookd
