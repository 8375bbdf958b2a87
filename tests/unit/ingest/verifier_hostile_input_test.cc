// Verifiers against bytes an attacker controls: headers outside the signature that are not
// UTF-8 or are huge, repeated signature headers, numbers out of range.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "ingest/verifier.h"
#include "ingest/verifier_util.h"

namespace hookd {
namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

Result<VerifiedEvent> Verify(std::string_view provider, const HeaderList& list,
                             std::string_view body, const std::string& secret, int64_t now = 1) {
  Headers headers;
  for (const auto& [k, v] : list) headers.Add(k, v);
  const std::vector<std::string> secrets = {secret};
  return MakeVerifier(provider)->Verify(VerifyInput{headers, body, secrets, 300, now});
}

std::string Code(const Result<VerifiedEvent>& r) { return r.ok() ? "ok" : r.status().code(); }

HeaderList GitHub(std::string_view body, std::string delivery, std::string event = "push") {
  return {{"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("s", body))},
          {"X-GitHub-Delivery", std::move(delivery)},
          {"X-GitHub-Event", std::move(event)}};
}

HeaderList Shopify(std::string_view body, std::string id, std::string topic = "orders/create") {
  return {{"X-Shopify-Hmac-Sha256", Base64Encode(HmacSha256("s", body))},
          {"X-Shopify-Webhook-Id", std::move(id)},
          {"X-Shopify-Topic", std::move(topic)}};
}

constexpr char kBody[] = R"({"action":"opened"})";

TEST(VerifierHostileInputTest, ReproducesCrashNonUtf8GitHubHeadersAre400NamingTheHeader) {
  auto r = Verify("github", GitHub(kBody, "\xff\xfe"), kBody, "s");
  EXPECT_EQ(Code(r), "invalid_header");
  EXPECT_EQ(r.status().kind(), ErrorKind::kMalformed);
  EXPECT_NE(r.status().message().find("X-GitHub-Delivery"), std::string::npos);
  EXPECT_NE(r.status().message().find("UTF-8"), std::string::npos);
  auto e = Verify("github", GitHub(kBody, "d-1", "pu\xc3\x28sh"), kBody, "s");
  EXPECT_EQ(Code(e), "invalid_header");
  EXPECT_NE(e.status().message().find("X-GitHub-Event"), std::string::npos);
  // Valid multi-byte UTF-8 is fine.
  EXPECT_EQ(Code(Verify("github", GitHub(kBody, "d-\xc3\xa9"), kBody, "s")), "ok");
}

// Found by fuzz_json_parse: nlohmann ends the input at a NUL byte, so a signed body with junk
// after one was accepted as a JSON object, stored and delivered as JSON.
TEST(VerifierHostileInputTest, ReproducesFuzzFindingBodyWithJunkAfterANulByteIs400) {
  const std::string body = std::string(kBody) + std::string("\0junk", 5);
  auto r = Verify("github", GitHub(body, "d-1"), body, "s");
  EXPECT_EQ(Code(r), "invalid_json");
  EXPECT_EQ(r.status().kind(), ErrorKind::kMalformed);
}

TEST(VerifierHostileInputTest, ReproducesCrashNonUtf8ShopifyWebhookIdIs400) {
  std::string body = R"({"id":1})";
  auto r = Verify("shopify", Shopify(body, "\xc3\x28"), body, "s");
  EXPECT_EQ(Code(r), "invalid_header");
  EXPECT_NE(r.status().message().find("X-Shopify-Webhook-Id"), std::string::npos);
  EXPECT_EQ(Code(Verify("shopify", Shopify(body, "id-1", "\xed\xa0\x80"), body, "s")),
            "invalid_header");  // an encoded surrogate
}

TEST(VerifierHostileInputTest, IdsAndTypesHaveALengthCapAndNoControlCharacters) {
  EXPECT_EQ(Code(Verify("github", GitHub(kBody, std::string(1 << 20, 'a')), kBody, "s")),
            "invalid_header");
  EXPECT_EQ(
      Code(Verify("github", GitHub(kBody, std::string(kMaxIdentifierBytes, 'a')), kBody, "s")),
      "ok");
  EXPECT_EQ(
      Code(Verify("github", GitHub(kBody, std::string(kMaxIdentifierBytes + 1, 'a')), kBody, "s")),
      "invalid_header");
  EXPECT_EQ(Code(Verify("github",
                        GitHub(kBody,
                               "a\x01"
                               "b"),
                        kBody, "s")),
            "invalid_header");
  // The type is checked with the body's action appended.
  std::string long_action = R"({"action":")" + std::string(kMaxIdentifierBytes, 'x') + "\"}";
  EXPECT_EQ(Code(Verify("github", GitHub(long_action, "d"), long_action, "s")), "invalid_header");
  // Stripe's id and type come from the signed body; the same caps apply.
  std::string body = R"({"id":")" + std::string(300, 'e') + R"(","type":"a"})";
  std::string t = "1";
  auto stripe = Verify(
      "stripe", {{"Stripe-Signature", "t=1,v1=" + HexEncode(HmacSha256("s", t + "." + body))}},
      body, "s");
  EXPECT_EQ(Code(stripe), "invalid_header");
  std::string nul_type = R"({"id":"evt_1","type":"a\u0000b"})";
  EXPECT_EQ(Code(Verify(
                "stripe",
                {{"Stripe-Signature", "t=1,v1=" + HexEncode(HmacSha256("s", t + "." + nul_type))}},
                nul_type, "s")),
            "invalid_header");
}

TEST(VerifierHostileInputTest, RepeatedSingleValuedSignatureHeadersAreRefused) {
  HeaderList h = GitHub(kBody, "d-1");
  h.emplace_back("X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("other", kBody)));
  EXPECT_EQ(Code(Verify("github", h, kBody, "s")), "invalid_signature");
  HeaderList ids = GitHub(kBody, "d-1");
  ids.emplace_back("X-GitHub-Delivery", "d-2");
  EXPECT_EQ(Code(Verify("github", ids, kBody, "s")), "invalid_header");
  HeaderList same = GitHub(kBody, "d-1");
  same.emplace_back("X-GitHub-Delivery", "d-1");
  EXPECT_EQ(Code(Verify("github", same, kBody, "s")), "ok");
  std::string body = R"({"id":1})";
  HeaderList shop = Shopify(body, "id-1");
  shop.emplace_back("X-Shopify-Hmac-Sha256", "AAAA");
  EXPECT_EQ(Code(Verify("shopify", shop, body, "s")), "invalid_signature");
}

TEST(VerifierHostileInputTest, RepeatedListValuedSignatureHeadersAreOneList) {
  // Stripe-Signature is a comma list: a second header adds its entries, so a valid v1 in it counts.
  std::string body = R"({"id":"evt_1","type":"a"})";
  std::string v1 = HexEncode(HmacSha256("s", "1." + body));
  auto r = Verify("stripe", {{"Stripe-Signature", "t=1,v1=00"}, {"Stripe-Signature", "v1=" + v1}},
                  body, "s");
  EXPECT_EQ(Code(r), "ok");
  // ...and a second t= in it is refused as before.
  EXPECT_EQ(
      Code(Verify("stripe", {{"Stripe-Signature", "t=1,v1=" + v1}, {"Stripe-Signature", "t=2"}},
                  body, "s")),
      "invalid_signature");
  // webhook-signature is a space list; webhook-id must be single.
  std::string key = Base64Encode("0123456789abcdef");
  std::string sig =
      "v1," + Base64Encode(HmacSha256("0123456789abcdef", std::string("msg_1.1.") + body));
  HeaderList std_headers = {{"webhook-id", "msg_1"},
                            {"webhook-timestamp", "1"},
                            {"webhook-signature", "v1,AAAA"},
                            {"webhook-signature", sig}};
  EXPECT_EQ(Code(Verify("standard", std_headers, body, "whsec_" + key)), "ok");
  std_headers.emplace_back("webhook-id", "msg_2");
  EXPECT_EQ(Code(Verify("standard", std_headers, body, "whsec_" + key)), "invalid_signature");
}

TEST(VerifierHostileInputTest, NumbersOutOfRangeAreNamedNotCalledNotAnObject) {
  std::string body = R"({"b":1e400})";
  auto r = Verify("github", GitHub(body, "d-1"), body, "s");
  EXPECT_EQ(Code(r), "invalid_json");
  EXPECT_NE(r.status().message().find("out of range"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace hookd
