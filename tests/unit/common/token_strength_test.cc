#include "common/token_strength.h"

#include <string>

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/random.h"

namespace hookd {
namespace {

TEST(TokenStrengthTest, AcceptsLongVariedTokens) {
  for (const std::string token : {
           "hkd_0123456789abcdef0123456789abcdef0123456789abcdef",
           "tok_5f3a9c1e2b7d4a6f8e0c1b3d5f7a9c2e4b6d8f0a1c3e5a7b",
           "correct-horse-battery-staple",  // 24+ characters, 13 distinct
           "0123456789abcdefABCDEFGH",      // exactly 24
           "abababab-cdcdcdcd-efefgggg",    // 8 distinct: the minimum
       })
    EXPECT_TRUE(CheckAdminTokenStrength(token, "HOOKD_ADMIN_TOKEN").ok()) << token;
}

TEST(TokenStrengthTest, AGeneratedTokenAlwaysPasses) {
  // The generated form (common/admin_auth.cc): hkd_ and 48 hex digits.
  SeededRandom random(42);
  for (int i = 0; i < 2000; ++i) {
    const std::string token = "hkd_" + HexEncode(random.Bytes(24));
    ASSERT_TRUE(CheckAdminTokenStrength(token, "x").ok()) << token;
  }
}

TEST(TokenStrengthTest, RefusesShortTokens) {
  for (const std::string token : {"x", "test-token", "benchtoken", "0123456789abcdefABCDEFG"}) {
    Status s = CheckAdminTokenStrength(token, "HOOKD_ADMIN_TOKEN");
    ASSERT_FALSE(s.ok()) << token;
    EXPECT_EQ(s.kind(), ErrorKind::kInvalidField);
    EXPECT_NE(s.message().find("HOOKD_ADMIN_TOKEN"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("at least 24 characters"), std::string::npos) << s.message();
  }
}

TEST(TokenStrengthTest, RefusesLowEntropyTokens) {
  for (const std::string& token : {std::string(64, 'a'), std::string("abcabcabcabcabcabcabcabcabc"),
                                   std::string("00000000000000000000000000000001"),
                                   std::string("abababab-cdcdcdcd-efefefe-")}) {
    Status s = CheckAdminTokenStrength(token, "/data/admin_token");
    ASSERT_FALSE(s.ok()) << token;
    EXPECT_NE(s.message().find("/data/admin_token"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("8 different characters"), std::string::npos) << s.message();
  }
}

TEST(TokenStrengthTest, RefusesCharactersABearerHeaderCannotCarry) {
  for (const std::string token :
       {"correct horse battery staple", "correct\thorse-battery-staple",
        "correct-horse-battery-staple\x01", "correct-horse-battery-st\xc3\xa4"}) {
    Status s = CheckAdminTokenStrength(token, "HOOKD_ADMIN_TOKEN");
    ASSERT_FALSE(s.ok()) << token;
    EXPECT_NE(s.message().find("visible ASCII"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace hookd
