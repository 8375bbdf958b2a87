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

}  // namespace
}  // namespace hookd
