// PreviousSecrets: several rotations within the grace keep every replaced secret live until its
// own grace ends; the JSON form round-trips and tolerates junk.
#include "common/previous_secrets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hookd {
namespace {

std::vector<std::string> Live(const std::vector<PreviousSecret>& p, int64_t now) {
  std::vector<std::string> out;
  AppendLiveSecrets(p, now, out);
  return out;
}

TEST(PreviousSecretsTest, EveryRotationWithinTheGraceStaysLiveUntilItsOwnGraceEnds) {
  std::vector<PreviousSecret> p;
  ASSERT_TRUE(AddPreviousSecret(p, "first", 1'100, 1'000).ok());
  ASSERT_TRUE(AddPreviousSecret(p, "second", 1'150, 1'050).ok());
  EXPECT_EQ(Live(p, 1'050), (std::vector<std::string>{"second", "first"}));
  EXPECT_EQ(Live(p, 1'099), (std::vector<std::string>{"second", "first"}));
  EXPECT_EQ(Live(p, 1'100), (std::vector<std::string>{"second"}));
  EXPECT_EQ(Live(p, 1'150), (std::vector<std::string>{}));
  EXPECT_EQ(LastGraceEnd(p), 1'150);
  // A later rotation drops the secrets whose grace has ended.
  ASSERT_TRUE(AddPreviousSecret(p, "third", 1'300, 1'120).ok());
  EXPECT_EQ(p, (std::vector<PreviousSecret>{{"third", 1'300}, {"second", 1'150}}));
}

TEST(PreviousSecretsTest, TooManyLiveSecretsAreRefusedAndChangeNothing) {
  std::vector<PreviousSecret> p;
  for (size_t i = 0; i < kMaxPreviousSecrets; ++i)
    ASSERT_TRUE(AddPreviousSecret(p, std::to_string(i), 10'000, 1'000).ok());
  const auto before = p;
  Status s = AddPreviousSecret(p, "one-more", 10'000, 1'000);
  EXPECT_EQ(s.code(), "too_many_live_secrets");
  EXPECT_EQ(s.kind(), ErrorKind::kConflict);
  EXPECT_EQ(p, before);
  // With no grace the replaced secret is not kept, so nothing more is live.
  EXPECT_TRUE(AddPreviousSecret(p, "no-grace", 1'000, 1'000).ok());
  EXPECT_EQ(p, before);
}

TEST(PreviousSecretsTest, JsonRoundTripsAndSkipsJunk) {
  const std::vector<PreviousSecret> p = {{"whsec_a", 5}, {"b", 7}};
  EXPECT_EQ(ParsePreviousSecrets(DumpPreviousSecrets(p)), p);
  EXPECT_EQ(DumpPreviousSecrets({}), "[]");
  EXPECT_TRUE(ParsePreviousSecrets("").empty());
  EXPECT_TRUE(ParsePreviousSecrets("{}").empty());
  EXPECT_EQ(ParsePreviousSecrets(R"([1, {"secret": 2}, {"secret": "x", "expires_at": 9}])"),
            (std::vector<PreviousSecret>{{"x", 9}}));
}

}  // namespace
}  // namespace hookd
