#include "ingest/verifier_util.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(ProbeJsonObject, CapturesOnlyTopLevelStringMembersAskedFor) {
  auto r = ProbeJsonObject(
      R"({"data":{"id":"nested","type":"x"},"id":"evt_1","type":7,"other":"o","list":["id"]})",
      {"id", "type"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 1u);
  EXPECT_EQ(r->at("id"), "evt_1");  // the nested "id" and the numeric "type" are ignored
}

TEST(ProbeJsonObject, LaterDuplicateKeyWinsAsInAParsedDocument) {
  auto r = ProbeJsonObject(R"({"id":"a","id":"b"})", {"id"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("id"), "b");
}

TEST(ProbeJsonObject, UnescapesCapturedStrings) {
  auto r = ProbeJsonObject(R"({"type":"a\"b\u00e9"})", {"type"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at("type"), "a\"b\xc3\xa9");
}

TEST(ProbeJsonObject, RejectsEverythingButOneObject) {
  for (const char* bad : {"", "[]", "\"s\"", "1", "null", "{", "{}{}", "{} x", R"({"a":})",
                          "[{\"id\":\"x\"}]", "{\"a\":1,}"}) {
    auto r = ProbeJsonObject(bad, {"id"});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "invalid_json") << bad;
  }
  EXPECT_TRUE(ProbeJsonObject(" {} \n", {}).ok());
}

// Found by fuzz_json_parse: nlohmann's lexer ends the input at a NUL byte.
TEST(ProbeJsonObject, ReproducesFuzzFindingJunkAfterANulByteIsRefused) {
  const std::string body("{\"id\":\"x\"}\0{", 12);
  auto r = ProbeJsonObject(body, {"id"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "invalid_json");
  EXPECT_EQ(r.status().message(), "body: not valid JSON at byte 11");
}

TEST(WithinTolerance, IsSymmetricAndInclusive) {
  EXPECT_TRUE(WithinTolerance(1000, 1300, 300));
  EXPECT_TRUE(WithinTolerance(1600, 1300, 300));
  EXPECT_FALSE(WithinTolerance(999, 1300, 300));
  EXPECT_FALSE(WithinTolerance(1601, 1300, 300));
  EXPECT_FALSE(WithinTolerance(INT64_MIN, INT64_MAX, INT64_MAX));
}

TEST(ParseUnixSeconds, AcceptsOnlyPlainDigits) {
  EXPECT_EQ(ParseUnixSeconds("1614265330"), 1614265330);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e9", "abc", "99999999999999999999"})
    EXPECT_FALSE(ParseUnixSeconds(bad).has_value()) << bad;
}

}  // namespace
}  // namespace hookd
