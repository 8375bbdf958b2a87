#include "common/json_limits.h"

#include <string>

#include <gtest/gtest.h>

namespace hookd {
namespace {

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonLimitsTest, DepthScanCountsOnlyStructure) {
  EXPECT_FALSE(JsonNestedDeeperThan(Nested(3), 3));
  EXPECT_TRUE(JsonNestedDeeperThan(Nested(4), 3));
  EXPECT_TRUE(JsonNestedDeeperThan(R"({"a":{"b":[1]}})", 2));
  EXPECT_FALSE(JsonNestedDeeperThan(R"({"a":{"b":[1]}})", 3));
  // Brackets inside strings, including after escaped quotes and backslashes, are text.
  EXPECT_FALSE(JsonNestedDeeperThan(R"(["[[[[", "\"[[[[", "\\", "{{{{"])", 1));
  EXPECT_TRUE(JsonNestedDeeperThan(R"(["\\", [[1]]])", 2));
  // Unbalanced closers do not go negative and hide a later opener.
  EXPECT_TRUE(JsonNestedDeeperThan("]]]]" + Nested(2), 1));
}

TEST(JsonLimitsTest, ReproducesCrashDeepDocumentsAreRefusedNotParsed) {
  auto r = ParseJsonBounded(R"({"payload":)" + Nested(100000) + "}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "invalid_json");
  EXPECT_EQ(r.status().kind(), ErrorKind::kMalformed);
  EXPECT_NE(r.status().message().find("128"), std::string::npos);
  auto at_limit = ParseJsonBounded(Nested(kMaxJsonDepth));
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(DumpJson(*at_limit), Nested(kMaxJsonDepth));
  EXPECT_FALSE(ParseJsonBounded(Nested(kMaxJsonDepth + 1)).ok());
}

// Found by fuzz_json_parse: nlohmann's lexer ends the input at a NUL byte, so anything after one
// was accepted unseen.
TEST(JsonLimitsTest, ReproducesFuzzFindingJunkAfterANulByteIsRefused) {
  using namespace std::string_literals;
  for (const std::string& text : {"{}\0junk"s, "{\"id\":\"evt_1\"}\0"s, "[1,\0]"s, "\0"s}) {
    auto r = ParseJsonBounded(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), "invalid_json");
  }
  EXPECT_EQ(ParseJsonBounded("{}\0x"s).status().message(), "not valid JSON at byte 3");
  // Escaped, it is an ordinary character.
  EXPECT_TRUE(ParseJsonBounded(R"({"a":"\u0000"})").ok());
}

TEST(JsonLimitsTest, ErrorsSayWhyWithoutInternals) {
  auto overflow = ParseJsonBounded(R"({"b":1e400})");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().message(), "a number is out of range at byte 10");
  auto bad = ParseJsonBounded(R"({"a":})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("not valid JSON at byte", 0), 0u);
  EXPECT_EQ(bad.status().message().find("json.exception"), std::string::npos);
  EXPECT_FALSE(ParseJsonBounded("").ok());
  EXPECT_FALSE(ParseJsonBounded("\"\xff\"").ok());  // invalid UTF-8 in a string
}

TEST(JsonLimitsTest, DumpNeverThrowsOnInvalidUtf8) {
  nlohmann::json j = {{"id", std::string("\xff\xfe")}, {std::string("k\xc3\x28"), 1}};
  std::string text;
  ASSERT_NO_THROW(text = DumpJson(j));
  EXPECT_EQ(text, "{\"id\":\"\xEF\xBF\xBD\xEF\xBF\xBD\",\"k\xEF\xBF\xBD(\":1}");
}

}  // namespace
}  // namespace hookd
