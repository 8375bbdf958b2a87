#include "deliver/signer.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/random.h"

namespace hookd {
namespace {

// The expected values are computed here with OpenSSL called directly, not with hookd's crypto
// helpers, so a fault shared by the signer and those helpers cannot hide.

std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Decodes padded standard base64 (length a multiple of 4); "" when invalid.
std::string Unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return "";
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  if (text.ends_with("==")) {
    len -= 2;
  } else if (text.ends_with("=")) {
    len -= 1;
  }
  out.resize(len);
  return out;
}

// The Standard Webhooks signature, straight from the spec: HMAC-SHA256 keyed with the base64
// decoding of the part after "whsec_", over "<id>.<timestamp>.<body>", as "v1,<base64>".
std::string ExpectedSignature(const std::string& secret, const std::string& msg_id,
                              int64_t timestamp, const std::string& body) {
  const std::string key = Unbase64(secret.substr(6));
  const std::string signed_content = msg_id + "." + std::to_string(timestamp) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac,
       &mac_len);
  return "v1," + Base64(std::string(reinterpret_cast<const char*>(mac), mac_len));
}

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kMsgId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr char kPayload[] = R"({"test": 2432232314})";
constexpr char kSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(SignatureHeaderTest, StandardWebhooksVector) {
  // The independent computation agrees with the published vector, and so does the signer.
  ASSERT_EQ(ExpectedSignature(kSecret, kMsgId, kTimestamp, kPayload), kSignature);
  EXPECT_EQ(SignatureHeader(kMsgId, kTimestamp, kPayload, {kSecret}), kSignature);
}

TEST(SignatureHeaderTest, MatchesAnIndependentHmacForOtherInputs) {
  const std::string body = "{\"b\":\"h\xc3\xa9llo\",\"n\":[1,2,3]}\n";
  const std::string secret =
      "whsec_" + Base64(std::string("\x00\x01\xfe\xff", 4) + std::string(20, 'k'));
  for (int64_t ts : {int64_t{0}, int64_t{1}, kTimestamp, int64_t{4102444800}}) {
    SCOPED_TRACE(ts);
    EXPECT_EQ(SignatureHeader("msg_2", ts, body, {secret}),
              ExpectedSignature(secret, "msg_2", ts, body));
  }
}

TEST(SignatureHeaderTest, TwoSecretsGiveTwoSignaturesInOrder) {
  SeededRandom random(7);
  const std::string other = GenerateEndpointSecret(random);
  const std::string other_sig = ExpectedSignature(other, kMsgId, kTimestamp, kPayload);
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
    EXPECT_EQ(secret.size(), 6u + 32u) << secret;  // base64 of 24 bytes: 32 characters
    EXPECT_EQ(Unbase64(secret.substr(6)).size(), 24u) << secret;
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
  EXPECT_TRUE(ValidateEndpointSecret("whsec_" + Base64(std::string(24, 'k'))).ok());
  EXPECT_TRUE(ValidateEndpointSecret("whsec_" + Base64(std::string(64, 'k'))).ok());
}

TEST(ValidateEndpointSecretTest, RejectsInvalid) {
  for (const std::string& bad :
       {std::string(""), std::string("whsec_"), std::string("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        std::string("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!"),
        std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "),
        "whsec_" + Base64(std::string(23, 'k')), "whsec_" + Base64(std::string(65, 'k'))}) {
    SCOPED_TRACE(bad);
    const Status status = ValidateEndpointSecret(bad);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.kind(), ErrorKind::kInvalidField);
    EXPECT_EQ(status.code(), "invalid_field");
  }
}

}  // namespace
}  // namespace hookd
