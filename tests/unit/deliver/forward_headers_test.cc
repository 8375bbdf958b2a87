// forward_headers: what the endpoint API accepts (names and "prefix*" patterns, lower-cased and
// de-duplicated) and refuses (422 invalid_field naming the entry), and how a stored pattern
// matches a lower-case header name.
#include "deliver/forward_headers.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hookd {
namespace {

using nlohmann::json;

std::vector<std::string> Accepted(const json& value) {
  auto r = ParseForwardHeaders(value);
  EXPECT_TRUE(r.ok()) << value.dump() << ": " << r.status().message();
  return r.ok() ? *r : std::vector<std::string>{};
}

// The refusal's message; fails the test unless `value` is refused with 422 invalid_field.
std::string Refusal(const json& value) {
  auto r = ParseForwardHeaders(value);
  EXPECT_FALSE(r.ok()) << value.dump() << " was accepted";
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), "invalid_field") << value.dump();
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField) << value.dump();
  return r.status().message();
}

TEST(ParseForwardHeadersTest, NamesAndPatternsAreKeptLowerCaseOnceInOrder) {
  EXPECT_EQ(Accepted(json::array()), std::vector<std::string>{});
  EXPECT_EQ(Accepted({"X-GitHub-*", "X-Request-Id", "x-github-*", "x-request-id", "Traceparent"}),
            (std::vector<std::string>{"x-github-*", "x-request-id", "traceparent"}));
  EXPECT_EQ(Accepted({"x*"}), std::vector<std::string>{"x*"});
  // Broad patterns that could also match a refused name are accepted (those names are left out
  // when delivering, see MatchesForwardPattern's callers).
  EXPECT_EQ(Accepted({"X-Shopify-*", "Stripe-*"}),
            (std::vector<std::string>{"x-shopify-*", "stripe-*"}));
  // Every token character is allowed in a name.
  EXPECT_EQ(Accepted({"a!#$%&'+-.^_`|~9"}), std::vector<std::string>{"a!#$%&'+-.^_`|~9"});
}

TEST(ParseForwardHeadersTest, AtMost32Entries) {
  json many = json::array();
  for (int i = 0; i < 32; ++i) many.push_back("x-h" + std::to_string(i));
  EXPECT_EQ(Accepted(many).size(), 32u);
  many.push_back("x-h32");
  EXPECT_NE(Refusal(many).find("at most 32"), std::string::npos);
}

TEST(ParseForwardHeadersTest, ShapeAndSyntaxAreChecked) {
  EXPECT_NE(Refusal("x-github-*").find("must be an array"), std::string::npos);
  EXPECT_NE(Refusal(json::object()).find("must be an array"), std::string::npos);
  EXPECT_NE(Refusal({1}).find("strings"), std::string::npos);
  EXPECT_NE(Refusal({nullptr}).find("strings"), std::string::npos);
  EXPECT_NE(Refusal({""}).find("1-100 characters"), std::string::npos);
  EXPECT_NE(Refusal({std::string(101, 'x')}).find("1-100 characters"), std::string::npos);
  for (const char* bad : {"x github", "x:github", "x-github-\r\n", "x/y", "x(y)", "x\"y", "x*y",
                          "**", "x-*-y", "caf\xc3\xa9", "x\ty"}) {
    const std::string message = Refusal({bad});
    EXPECT_NE(message.find("not a header name"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find(std::string("\"") + bad + "\""), std::string::npos) << message;
  }
  EXPECT_NE(Refusal({"*"}).find("prefix before '*'"), std::string::npos);
}

TEST(ParseForwardHeadersTest, NamesThatAreNeverForwardedAreRefused) {
  for (const char* name : {"Host",
                           "content-length",
                           "Content-Type",
                           "content-encoding",
                           "Transfer-Encoding",
                           "connection",
                           "keep-alive",
                           "te",
                           "trailer",
                           "upgrade",
                           "expect",
                           "proxy-authorization",
                           "user-agent",
                           "accept",
                           "webhook-id",
                           "Webhook-Signature",
                           "webhook-timestamp",
                           "hookd-event-type",
                           "HOOKD-SOURCE-ID",
                           "svix-signature",
                           "x-hub-signature",
                           "X-Hub-Signature-256",
                           "stripe-signature",
                           "X-Shopify-Hmac-Sha256"}) {
    const std::string message = Refusal({"x-fine", name});
    EXPECT_NE(message.find(std::string("\"") + name + "\""), std::string::npos) << message;
  }
}

TEST(ParseForwardHeadersTest, CredentialsAreRefusedSayingWhy) {
  for (const char* name : {"Authorization", "cookie", "Set-Cookie"}) {
    const std::string message = Refusal({name});
    EXPECT_NE(message.find("credential"), std::string::npos) << message;
    EXPECT_NE(message.find("endpoint's headers"), std::string::npos) << message;
  }
}

TEST(ParseForwardHeadersTest, PatternsThatCouldOnlyMatchRefusedNamesAreRefused) {
  for (const char* pattern : {"webhook-*", "Webhook-Sig*", "hookd-*", "content-*", "Content-Type*",
                              "svix-*", "x-hub-signature*", "x-hub-signature-2*", "proxy-*"}) {
    const std::string message = Refusal({pattern});
    EXPECT_NE(message.find("never forwarded"), std::string::npos) << pattern << ": " << message;
  }
}

TEST(ForwardRefusalTest, SaysWhyOrNothing) {
  EXPECT_EQ(ForwardRefusal("x-github-event"), "");
  EXPECT_EQ(ForwardRefusal("x-shopify-topic"), "");
  EXPECT_EQ(ForwardRefusal("hostname"), "");  // only the exact name host
  EXPECT_NE(ForwardRefusal("host"), "");
  EXPECT_NE(ForwardRefusal("x-shopify-hmac-sha256"), "");
  EXPECT_NE(ForwardRefusal("x-hub-signature-256"), "");
  EXPECT_NE(ForwardRefusal("webhook-anything"), "");
  EXPECT_NE(ForwardRefusal("hookd-anything"), "");
  EXPECT_NE(ForwardRefusal("content-md5"), "");
}

TEST(MatchesForwardPatternTest, ExactNamesAndPrefixes) {
  const std::vector<std::string> patterns = {"x-github-*", "x-request-id"};
  EXPECT_TRUE(MatchesForwardPattern("x-github-event", patterns));
  EXPECT_TRUE(MatchesForwardPattern("x-github-delivery", patterns));
  EXPECT_TRUE(MatchesForwardPattern("x-github-", patterns));
  EXPECT_TRUE(MatchesForwardPattern("x-request-id", patterns));
  EXPECT_FALSE(MatchesForwardPattern("x-github", patterns));
  EXPECT_FALSE(MatchesForwardPattern("x-request-id-2", patterns));
  EXPECT_FALSE(MatchesForwardPattern("x-hub-signature-256", patterns));
  EXPECT_FALSE(MatchesForwardPattern("y-x-github-event", patterns));
  EXPECT_FALSE(MatchesForwardPattern("x-github-event", {}));
}

TEST(MatchesForwardPatternTest, PatternsParsedFromAnyCaseMatchLowerCaseNames) {
  const std::vector<std::string> patterns = Accepted({"X-GITHUB-*", "X-Request-ID"});
  EXPECT_TRUE(MatchesForwardPattern("x-github-event", patterns));
  EXPECT_TRUE(MatchesForwardPattern("x-request-id", patterns));
}

}  // namespace
}  // namespace hookd
