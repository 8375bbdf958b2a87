#include "deliver/request_target.h"

#include <string>

#include <gtest/gtest.h>

#include "deliver/ssrf_guard.h"

namespace hookd {
namespace {

TEST(RequestTargetTest, AllowedCharactersAndEscapesAreLeftAlone) {
  for (const char* target :
       {"/", "/a/b.c_d-e~f", "/p?q=1&r=2", "/%41%7e%C3%A9", "/!$&'()*+,;=:@/?/?", "/a?b=c?d/e"})
    EXPECT_EQ(EncodeRequestTarget(target), target) << target;
}

TEST(RequestTargetTest, BytesAbove0x7fArePercentEncoded) {
  EXPECT_EQ(EncodeRequestTarget("/caf\xc3\xa9"), "/caf%C3%A9");
  EXPECT_EQ(EncodeRequestTarget("/x?name=\xc3\xbc&\xff=1"), "/x?name=%C3%BC&%FF=1");
  EXPECT_EQ(EncodeRequestTarget("/\x80\xbf"), "/%80%BF");
}

TEST(RequestTargetTest, OtherBytesNotAllowedInARequestTargetAreEncoded) {
  EXPECT_EQ(EncodeRequestTarget("/a b"), "/a%20b");
  EXPECT_EQ(EncodeRequestTarget("/a\tb\r\n\x01\x7f"), "/a%09b%0D%0A%01%7F");
  EXPECT_EQ(EncodeRequestTarget(std::string("/a\0b", 4)), "/a%00b");
  EXPECT_EQ(EncodeRequestTarget("/\"<>\\^`{|}[]#"), "/%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D%23");
}

TEST(RequestTargetTest, APercentSignThatStartsNoEscapeIsEncoded) {
  EXPECT_EQ(EncodeRequestTarget("/100%"), "/100%25");
  EXPECT_EQ(EncodeRequestTarget("/%zz?%4"), "/%25zz?%254");
  EXPECT_EQ(EncodeRequestTarget("/%4g%41"), "/%254g%41");
}

TEST(RequestTargetTest, EncodingIsIdempotent) {
  for (const char* target : {"/caf\xc3\xa9?\xc3\xbc=%zz", "/a b|c", "/100%", "/%41"}) {
    const std::string once = EncodeRequestTarget(target);
    EXPECT_EQ(EncodeRequestTarget(once), once) << target;
  }
}

TEST(RequestTargetTest, AParsedEndpointUrlHasAnEncodedTarget) {
  auto url = ParseEndpointUrl("https://example.com/caf\xc3\xa9/%41|?q=\xc3\xbc&r=%zz");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->target, "/caf%C3%A9/%41%7C?q=%C3%BC&r=%25zz");
  auto query_only = ParseEndpointUrl("http://example.com?\xc3\xa9");
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->target, "/?%C3%A9");
}

TEST(RequestTargetTest, TheUrlLengthLimitCountsTheEncodedTarget) {
  std::string path = "/";
  while (path.size() < 1000) path += "\xc3\xa9";  // 1001 bytes, 3001 once encoded
  auto url = ParseEndpointUrl("https://example.com" + path);
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().code(), "invalid_url");
  EXPECT_NE(url.status().message().find("once percent-encoded"), std::string::npos);
  EXPECT_TRUE(ParseEndpointUrl("https://example.com" + path.substr(0, 501)).ok());
}

}  // namespace
}  // namespace hookd
