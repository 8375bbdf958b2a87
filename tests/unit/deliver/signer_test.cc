#include "deliver/signer.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/random.h"

namespace hookd {
namespace {

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kMsgId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr char kPayload[] = R"({"test": 2432232314})";
constexpr char kSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(SignatureHeaderTest, StandardWebhooksVector) {
  EXPECT_EQ(SignatureHeader(kMsgId, kTimestamp, kPayload, {kSecret}), kSignature);
}

TEST(SignatureHeaderTest, TwoSecretsGiveTwoSignaturesInOrder) {
  SeededRandom random(7);
  const std::string other = GenerateEndpointSecret(random);
  const std::string other_sig = SignatureHeader(kMsgId, kTimestamp, kPayload, {other});
  ASSERT_TRUE(other_sig.starts_with("v1,"));
  ASSERT_NE(other_sig, kSignature);
  EXPECT_EQ(SignatureHeader(kMsgId, kTimestamp, kPayload, {kSecret, other}),
            std::string(kSignature) + " " + other_sig);
  EXPECT_EQ(SignatureHeader(kMsgId, kTimestamp, kPayload, {other, kSecret}),
            other_sig + " " + kSignature);
}

TEST(SignatureHeaderTest, SignsIdTimestampAndBody) {
  const std::vector<std::string> secrets = {kSecret};
  EXPECT_NE(SignatureHeader("msg_other", kTimestamp, kPayload, secrets), kSignature);
  EXPECT_NE(SignatureHeader(kMsgId, kTimestamp + 1, kPayload, secrets), kSignature);
  EXPECT_NE(SignatureHeader(kMsgId, kTimestamp, R"({"test":2432232314})", secrets), kSignature);
}

TEST(SignatureHeaderTest, UndecodableSecretsAreSkipped) {
  EXPECT_EQ(SignatureHeader(kMsgId, kTimestamp, kPayload, {}), "");
  EXPECT_EQ(SignatureHeader(kMsgId, kTimestamp, kPayload, {"whsec_!!!", kSecret, "nope"}),
            kSignature);
}

TEST(GenerateEndpointSecretTest, ValidatesAndDiffers) {
  SecureRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const std::string secret = GenerateEndpointSecret(random);
    ASSERT_TRUE(secret.starts_with("whsec_"));
    const auto key = Base64Decode(secret.substr(6));
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->size(), 24u);
    EXPECT_TRUE(ValidateEndpointSecret(secret).ok()) << secret;
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(GenerateEndpointSecretTest, DeterministicWithSeededRandom) {
  SeededRandom a(42);
  SeededRandom b(42);
  EXPECT_EQ(GenerateEndpointSecret(a), GenerateEndpointSecret(b));
}

TEST(ValidateEndpointSecretTest, AcceptsTheVectorAndBounds) {
  EXPECT_TRUE(ValidateEndpointSecret(kSecret).ok());
  EXPECT_TRUE(ValidateEndpointSecret("whsec_" + Base64Encode(std::string(24, 'k'))).ok());
  EXPECT_TRUE(ValidateEndpointSecret("whsec_" + Base64Encode(std::string(64, 'k'))).ok());
}

TEST(ValidateEndpointSecretTest, RejectsInvalid) {
  for (const std::string& bad :
       {std::string(""), std::string("whsec_"), std::string("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        std::string("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!"),
        std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "),
        "whsec_" + Base64Encode(std::string(23, 'k')),
        "whsec_" + Base64Encode(std::string(65, 'k'))}) {
    SCOPED_TRACE(bad);
    const Status status = ValidateEndpointSecret(bad);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.kind(), ErrorKind::kInvalidField);
    EXPECT_EQ(status.code(), "invalid_field");
  }
}

}  // namespace
}  // namespace hookd
