#include "common/json_fields.h"

#include <string>

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(ReadTopLevelStrings, ReadsTheNamedStringMembersOfTheOuterObjectOnly) {
  std::string endpoint = "unset", source = "unset";
  EXPECT_TRUE(ReadTopLevelStrings(
      R"({"nested":{"endpoint_id":"ep_inner"},"list":["source_id"],"endpoint_id":"ep_\u0041",)"
      R"("source_id":7})",
      {{"endpoint_id", &endpoint}, {"source_id", &source}}));
  EXPECT_EQ(endpoint, "ep_A");  // escapes are decoded; the nested member does not count
  EXPECT_EQ(source, "unset");   // a number is not a string; a string in an array is no member
}

TEST(ReadTopLevelStrings, RefusesWhatIsNotOneValidObject) {
  std::string id;
  for (const char* text : {"", "[]", "\"x\"", "{", R"({"endpoint_id":"a"} {})",
                           R"({"endpoint_id":"a",})", "{\"endpoint_id\":\"\xff\"}"}) {
    EXPECT_FALSE(ReadTopLevelStrings(text, {{"endpoint_id", &id}})) << text;
  }
  EXPECT_TRUE(ReadTopLevelStrings("{}", {{"endpoint_id", &id}}));
}

}  // namespace
}  // namespace hookd
