#include "common/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hookd {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(AppendJsonString, EscapesLikeNlohmann) {
  for (std::string s : {std::string("plain"), std::string("q\"b\\s/"), std::string("\n\r\t\b\f"),
                        std::string("\x01\x1f\x7f", 3), std::string("caf\xc3\xa9 \xf0\x9f\x98\x80"),
                        std::string("nul\0x", 5), std::string()}) {
    EXPECT_EQ(Quote(s), nlohmann::json(s).dump()) << s;
  }
}

TEST(AppendJsonString, ReplacesInvalidUtf8SoTheOutputAlwaysParses) {
  for (std::string s : {std::string("\xff"), std::string("a\xc3"), std::string("\xed\xa0\x80"),
                        std::string("\xc0\xaf"), std::string("\xf4\x90\x80\x80")}) {
    auto parsed = nlohmann::json::parse(Quote(s), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << Quote(s);
    EXPECT_NE(parsed.get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
  }
}

TEST(JsonObjectText, WritesTheSameTextAsNlohmannForSortedKeys) {
  const std::string text = JsonObjectText()
                               .Int("attempt", 3)
                               .Str("error", "timeout: \"x\"\n\xff")
                               .Int("latency_ms", -1)
                               .Null("response_status")
                               .Str("status", "retrying")
                               .Text();
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << text;
  EXPECT_EQ(parsed.dump(), text);
  EXPECT_EQ(parsed["attempt"], 3);
  EXPECT_EQ(parsed["latency_ms"], -1);
  EXPECT_TRUE(parsed["response_status"].is_null());
  EXPECT_EQ(parsed["error"].get<std::string>().substr(0, 13), "timeout: \"x\"\n");
}

TEST(JsonObjectText, AnEmptyObjectIsBraces) { EXPECT_EQ(JsonObjectText().Text(), "{}"); }

}  // namespace
}  // namespace hookd
