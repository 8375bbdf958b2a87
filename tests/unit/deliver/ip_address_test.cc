#include "deliver/ip_address.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace hookd {
namespace {

std::string Parsed(std::string_view host) {
  auto addr = ParseIpLiteral(host);
  return addr ? addr->ToString() : "<none>";
}

TEST(IpAddressTest, DottedQuad) {
  EXPECT_EQ(Parsed("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(Parsed("93.184.216.34"), "93.184.216.34");
  EXPECT_EQ(Parsed("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(Parsed("255.255.255.255"), "255.255.255.255");
  auto addr = ParseIpLiteral("10.1.2.3");
  ASSERT_TRUE(addr.has_value());
  EXPECT_FALSE(addr->v6);
  EXPECT_EQ(addr->bytes[0], 10);
  EXPECT_EQ(addr->bytes[3], 3);
}

TEST(IpAddressTest, InetAtonSpellings) {
  EXPECT_EQ(Parsed("127.1"), "127.0.0.1");
  EXPECT_EQ(Parsed("127.0.1"), "127.0.0.1");
  EXPECT_EQ(Parsed("2130706433"), "127.0.0.1");
  EXPECT_EQ(Parsed("0x7f000001"), "127.0.0.1");
  EXPECT_EQ(Parsed("0X7F000001"), "127.0.0.1");
  EXPECT_EQ(Parsed("0177.0.0.1"), "127.0.0.1");
  EXPECT_EQ(Parsed("0x7f.1"), "127.0.0.1");
  EXPECT_EQ(Parsed("0x7f.0.0.1"), "127.0.0.1");
  EXPECT_EQ(Parsed("017700000001"), "127.0.0.1");
  EXPECT_EQ(Parsed("0"), "0.0.0.0");
  EXPECT_EQ(Parsed("00.0x0.0.00"), "0.0.0.0");
  EXPECT_EQ(Parsed("4294967295"), "255.255.255.255");
  EXPECT_EQ(Parsed("169.254.43518"), "169.254.169.254");
  EXPECT_EQ(Parsed("10.0x10000"), "10.1.0.0");  // the last part fills the remaining bytes
  EXPECT_EQ(Parsed("10.0xffffff"), "10.255.255.255");
}

TEST(IpAddressTest, RejectsMalformedIpv4) {
  for (const char* s :
       {"256.0.0.1", "1.2.3.256", "4294967296", "0x100000000", "1.2.65536", "1.2.3.4.5", "1..2.3",
        ".1.2.3", "1.2.3.4.", "127.0.0.1.", "08.0.0.1", "0x", "0x.1", "0xg", "1.2.3.-4", "+1.2.3.4",
        "1.2.3.4 ", "", "99999999999999999999"}) {
    EXPECT_EQ(Parsed(s), "<none>") << s;
  }
}

TEST(IpAddressTest, NamesAreNotLiterals) {
  for (const char* s : {"example.com", "localhost", "127.0.0.1.nip.io", "1.2.3.4.example",
                        "0x7f.example", "a", "1e3"}) {
    EXPECT_FALSE(ParseIpLiteral(s).has_value()) << s;
  }
}

TEST(IpAddressTest, Ipv6) {
  EXPECT_EQ(Parsed("::1"), "::1");
  EXPECT_EQ(Parsed("[::1]"), "::1");
  EXPECT_EQ(Parsed("[0:0:0:0:0:0:0:1]"), "::1");
  EXPECT_EQ(Parsed("::"), "::");
  EXPECT_EQ(Parsed("2606:4700:0:0:0:0:0:1111"), "2606:4700::1111");
  EXPECT_EQ(Parsed("2001:DB8::A"), "2001:db8::a");
  EXPECT_EQ(Parsed("fe80:0:0:1:0:0:0:1"), "fe80:0:0:1::1");
  EXPECT_EQ(Parsed("[::ffff:127.0.0.1]"), "::ffff:127.0.0.1");
  EXPECT_EQ(Parsed("::ffff:7f00:1"), "::ffff:127.0.0.1");
  auto addr = ParseIpLiteral("[::1]");
  ASSERT_TRUE(addr.has_value());
  EXPECT_TRUE(addr->v6);
  EXPECT_EQ(addr->bytes[15], 1);
}

TEST(IpAddressTest, RejectsMalformedIpv6) {
  for (const char* s :
       {"fe80::1%eth0", "[fe80::1%25eth0]", "[::1", "::1]", "[[::1]]", ":::1", "1:2:3:4:5:6:7:8:9",
        "[127.0.0.1]", "[]", "::g", "2001:db8::1::2", "[::1]:80"}) {
    EXPECT_FALSE(ParseIpLiteral(s).has_value()) << s;
  }
}

TEST(IpAddressTest, Equality) {
  EXPECT_EQ(ParseIpLiteral("127.1"), ParseIpLiteral("127.0.0.1"));
  EXPECT_EQ(ParseIpLiteral("[::1]"), ParseIpLiteral("0:0:0:0:0:0:0:1"));
  EXPECT_NE(ParseIpLiteral("0.0.0.1"), ParseIpLiteral("::1"));
}

}  // namespace
}  // namespace hookd
