#include "deliver/ip_prefix.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/ip.h"

namespace hookd {
namespace {

using testing::Ip;

IpPrefix Prefix(std::string_view cidr) {
  auto prefix = ParseIpPrefix(cidr);
  EXPECT_TRUE(prefix.has_value()) << cidr;
  return prefix.value_or(IpPrefix{});
}

TEST(IpPrefixTest, Parses) {
  const IpPrefix v4 = Prefix("169.254.0.0/16");
  EXPECT_FALSE(v4.base.v6);
  EXPECT_EQ(v4.bits, 16);
  EXPECT_EQ(v4.base, Ip("169.254.0.0"));
  EXPECT_EQ(v4.ToString(), "169.254.0.0/16");
  const IpPrefix v6 = Prefix("fe80::/10");
  EXPECT_TRUE(v6.base.v6);
  EXPECT_EQ(v6.bits, 10);
  EXPECT_EQ(v6.ToString(), "fe80::/10");
  EXPECT_EQ(Prefix("0.0.0.0/0").bits, 0);
  EXPECT_EQ(Prefix("::/0").bits, 0);
  EXPECT_EQ(Prefix("255.255.255.255/32").bits, 32);
  EXPECT_EQ(Prefix("::1/128").bits, 128);
  EXPECT_EQ(Prefix("::ffff:0:0:0/96").ToString(), "::ffff:0:0:0/96");
}

TEST(IpPrefixTest, RejectsMalformed) {
  for (const char* s : {"",
                        "10.0.0.0",
                        "10.0.0.0/",
                        "/8",
                        "10.0.0.0/33",
                        "::/129",
                        "10.0.0.1/8",
                        "fe80::1/10",
                        "10.0.0.0/08",
                        "10.0.0.0/-1",
                        "10.0.0.0/8/8",
                        "10/8",
                        "10.0/16",
                        "012.0.0.0/8",
                        "0xa.0.0.0/8",
                        "[::1]/128",
                        "::1%eth0/128",
                        "10.0.0.0/ 8",
                        "10.0.0.0/1000",
                        "a.b.c.d/8"}) {
    EXPECT_FALSE(ParseIpPrefix(s).has_value()) << s;
  }
}

TEST(IpPrefixTest, ContainsAtTheEdges) {
  const IpPrefix v4 = Prefix("172.16.0.0/12");
  EXPECT_TRUE(Contains(v4, Ip("172.16.0.0")));
  EXPECT_TRUE(Contains(v4, Ip("172.31.255.255")));
  EXPECT_FALSE(Contains(v4, Ip("172.15.255.255")));
  EXPECT_FALSE(Contains(v4, Ip("172.32.0.0")));
  const IpPrefix v6 = Prefix("2001::/23");
  EXPECT_TRUE(Contains(v6, Ip("2001::")));
  EXPECT_TRUE(Contains(v6, Ip("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(Contains(v6, Ip("2001:200::")));
  EXPECT_FALSE(Contains(v6, Ip("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  const IpPrefix host = Prefix("192.0.0.170/32");
  EXPECT_TRUE(Contains(host, Ip("192.0.0.170")));
  EXPECT_FALSE(Contains(host, Ip("192.0.0.171")));
  EXPECT_TRUE(Contains(Prefix("::/0"), Ip("ffff::1")));
  EXPECT_TRUE(Contains(Prefix("0.0.0.0/0"), Ip("255.255.255.255")));
}

TEST(IpPrefixTest, FamiliesNeverMix) {
  // ::/96 and 0.0.0.0/8 share their leading zero bytes, but an address is only in its family.
  EXPECT_FALSE(Contains(Prefix("::/96"), Ip("0.0.0.1")));
  EXPECT_FALSE(Contains(Prefix("0.0.0.0/8"), Ip("::1")));
  EXPECT_FALSE(Contains(Prefix("0.0.0.0/0"), Ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(Contains(Prefix("::/0"), Ip("127.0.0.1")));
}

}  // namespace
}  // namespace hookd
