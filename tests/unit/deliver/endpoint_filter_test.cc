#include "deliver/endpoint_filter.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(MatchesEventTypeTest, Exact) {
  const std::vector<std::string> patterns = {"invoice.paid", "user.created"};
  EXPECT_TRUE(MatchesEventType(patterns, "invoice.paid"));
  EXPECT_TRUE(MatchesEventType(patterns, "user.created"));
  EXPECT_FALSE(MatchesEventType(patterns, "invoice.paid.late"));
  EXPECT_FALSE(MatchesEventType(patterns, "invoice"));
  EXPECT_FALSE(MatchesEventType(patterns, "Invoice.paid"));
  EXPECT_FALSE(MatchesEventType(patterns, ""));
}

TEST(MatchesEventTypeTest, Prefix) {
  const std::vector<std::string> patterns = {"invoice.*"};
  EXPECT_TRUE(MatchesEventType(patterns, "invoice.paid"));
  EXPECT_TRUE(MatchesEventType(patterns, "invoice.payment.failed"));
  EXPECT_FALSE(MatchesEventType(patterns, "invoice"));
  EXPECT_FALSE(MatchesEventType(patterns, "invoice."));
  EXPECT_FALSE(MatchesEventType(patterns, "invoices.x"));
  EXPECT_FALSE(MatchesEventType(patterns, "user.invoice.paid"));
  EXPECT_TRUE(MatchesEventType({"a.b.*"}, "a.b.c"));
  EXPECT_FALSE(MatchesEventType({"a.b.*"}, "a.bc"));
}

TEST(MatchesEventTypeTest, StarAndEmptyMatchEverything) {
  EXPECT_TRUE(MatchesEventType({"*"}, "anything.at.all"));
  EXPECT_TRUE(MatchesEventType({"*"}, "x"));
  EXPECT_TRUE(MatchesEventType({}, "anything"));
  EXPECT_TRUE(MatchesEventType({"user.created", "*"}, "invoice.paid"));
}

TEST(MatchesTest, EmptyListsMatchEverything) {
  const EndpointFilter filter;
  EXPECT_TRUE(Matches(filter, "invoice.paid", std::nullopt));
  EXPECT_TRUE(Matches(filter, "invoice.paid", std::string("src_1")));
}

TEST(MatchesTest, SourceFilter) {
  const EndpointFilter filter{{}, {"src_1", "src_2"}};
  EXPECT_TRUE(Matches(filter, "invoice.paid", std::string("src_1")));
  EXPECT_TRUE(Matches(filter, "invoice.paid", std::string("src_2")));
  EXPECT_FALSE(Matches(filter, "invoice.paid", std::string("src_3")));
  EXPECT_FALSE(Matches(filter, "invoice.paid", std::string("")));
}

TEST(MatchesTest, MessageWithoutSourceMatchesOnlyEmptySourceList) {
  EXPECT_FALSE(Matches(EndpointFilter{{}, {"src_1"}}, "invoice.paid", std::nullopt));
  EXPECT_TRUE(Matches(EndpointFilter{{"invoice.*"}, {}}, "invoice.paid", std::nullopt));
}

TEST(MatchesTest, BothListsMustMatch) {
  const EndpointFilter filter{{"invoice.*"}, {"src_1"}};
  EXPECT_TRUE(Matches(filter, "invoice.paid", std::string("src_1")));
  EXPECT_FALSE(Matches(filter, "user.created", std::string("src_1")));
  EXPECT_FALSE(Matches(filter, "invoice.paid", std::string("src_2")));
}

TEST(ValidateEventTypePatternsTest, AcceptsValid) {
  EXPECT_TRUE(ValidateEventTypePatterns({}).ok());
  EXPECT_TRUE(ValidateEventTypePatterns({"*"}).ok());
  EXPECT_TRUE(ValidateEventTypePatterns({"invoice.paid", "invoice.*", "a.b.*"}).ok());
  EXPECT_TRUE(ValidateEventTypePatterns({"Stripe:charge-succeeded_v2.x"}).ok());
  EXPECT_TRUE(ValidateEventTypePatterns({std::string(200, 'a')}).ok());
  EXPECT_TRUE(ValidateEventTypePatterns({std::string(198, 'a') + ".*"}).ok());
}

TEST(ValidateEventTypePatternsTest, RejectsInvalid) {
  for (const std::string& bad :
       {std::string(""), std::string(201, 'a'), std::string("invoice*"), std::string("*.paid"),
        std::string("invoice.*.paid"), std::string("a.**"), std::string("**"),
        std::string("inv*ice.paid"), std::string("invoice paid"), std::string("invoice/paid"),
        std::string("fact\xc3\xbare"), std::string("a.*\n")}) {
    SCOPED_TRACE(bad);
    const Status status = ValidateEventTypePatterns({"ok.one", bad});
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.kind(), ErrorKind::kInvalidField);
  }
}

}  // namespace
}  // namespace hookd
