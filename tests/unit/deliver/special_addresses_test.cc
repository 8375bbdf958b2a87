#include "deliver/special_addresses.h"

#include <ostream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/testing/ip.h"

namespace hookd {
namespace {

using testing::Ip;

// The block `s` is found in, or "" when it is in none.
std::string BlockOf(std::string_view s) {
  const SpecialBlock* block = FindSpecialBlock(Ip(s));
  return block == nullptr ? "" : std::string(block->cidr);
}

struct Case {
  const char* cidr;
  const char* inside;      // refused, and found in `cidr` itself (its most specific block)
  const char* outside;     // just outside `cidr`
  const char* outside_in;  // "" when `outside` is allowed, else the block that holds it
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.cidr; }

// One row per table row, written independently of deliver/special_addresses.cc.
const Case kCases[] = {
    {"0.0.0.0/8", "0.255.255.255", "1.0.0.0", ""},
    {"0.0.0.0/32", "0.0.0.0", "0.0.0.1", "0.0.0.0/8"},
    {"10.0.0.0/8", "10.255.255.255", "11.0.0.0", ""},
    {"100.64.0.0/10", "100.127.255.255", "100.128.0.0", ""},
    {"127.0.0.0/8", "127.0.0.1", "128.0.0.0", ""},
    {"169.254.0.0/16", "169.254.169.254", "169.255.0.0", ""},
    {"172.16.0.0/12", "172.31.255.255", "172.32.0.0", ""},
    {"192.0.0.0/24", "192.0.0.255", "192.0.1.0", ""},
    {"192.0.0.0/29", "192.0.0.7", "192.0.0.9", "192.0.0.0/24"},
    {"192.0.0.8/32", "192.0.0.8", "192.0.0.9", "192.0.0.0/24"},
    {"192.0.0.170/32", "192.0.0.170", "192.0.0.169", "192.0.0.0/24"},
    {"192.0.0.171/32", "192.0.0.171", "192.0.0.172", "192.0.0.0/24"},
    {"192.0.2.0/24", "192.0.2.255", "192.0.3.0", ""},
    {"192.88.99.0/24", "192.88.99.1", "192.88.100.0", ""},
    {"192.88.99.2/32", "192.88.99.2", "192.88.99.3", "192.88.99.0/24"},
    {"192.168.0.0/16", "192.168.255.255", "192.169.0.0", ""},
    {"198.18.0.0/15", "198.19.255.255", "198.20.0.0", ""},
    {"198.51.100.0/24", "198.51.100.0", "198.51.101.0", ""},
    {"203.0.113.0/24", "203.0.113.255", "203.0.114.0", ""},
    {"240.0.0.0/4", "240.0.0.0", "239.255.255.255", "224.0.0.0/4"},
    {"255.255.255.255/32", "255.255.255.255", "255.255.255.254", "240.0.0.0/4"},
    {"224.0.0.0/4", "224.0.0.1", "223.255.255.255", ""},
    {"::1/128", "::1", "::2", "::/96"},
    {"::/128", "::", "::1", "::1/128"},
    {"::ffff:0:0/96", "::ffff:127.0.0.1", "::1:0:0:0", ""},
    {"64:ff9b::/96", "64:ff9b::8.8.8.8", "64:ff9b::1:0:0", ""},
    {"64:ff9b:1::/48", "64:ff9b:1:ffff::1", "64:ff9b:2::", ""},
    {"100::/64", "100::ffff:ffff:ffff:ffff", "ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
    {"100:0:0:1::/64", "100::1:0:0:0:1", "100:0:0:2::", ""},
    {"2001::/23", "2001:100::1", "2001:200::", ""},
    {"2001::/32", "2001::1", "2001:1::", "2001::/23"},
    {"2001:2::/48", "2001:2:0:ffff::1", "2001:2:1::", "2001::/23"},
    {"2001:10::/28", "2001:1f::1", "2001:20::", "2001::/23"},
    {"2001:db8::/32", "2001:db8:ffff::1", "2001:db9::", ""},
    {"2002::/16", "2002:7f00:1::", "2003::", ""},
    {"3fff::/20", "3fff:fff::1", "3fff:1000::", ""},
    {"5f00::/16", "5f00:1::1", "5f01::", ""},
    {"fc00::/7", "fdff:ffff::1", "fe00::", ""},
    {"fe80::/10", "febf:ffff::1", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
    {"::/96", "::7f00:1", "::1:0:0", ""},
    {"::ffff:0:0:0/96", "::ffff:0:7f00:1", "::ffff:1:0:0", ""},
    {"fec0::/10", "feff:ffff::1", "ff00::", "ff00::/8"},
    {"ff00::/8", "ff02::1", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::/10"},
};

class SpecialBlockCaseTest : public ::testing::TestWithParam<Case> {};

TEST_P(SpecialBlockCaseTest, InsideRefusedOutsideAsExpected) {
  const Case& c = GetParam();
  EXPECT_EQ(BlockOf(c.inside), c.cidr) << c.inside;
  EXPECT_EQ(BlockOf(c.outside), c.outside_in) << c.outside;
}
INSTANTIATE_TEST_SUITE_P(Registry, SpecialBlockCaseTest, ::testing::ValuesIn(kCases));

TEST(SpecialBlocksTest, EveryRowIsTestedAndEveryCaseIsARow) {
  std::set<std::string> table, cases;
  for (const SpecialBlock& block : SpecialBlocks()) {
    EXPECT_TRUE(table.insert(std::string(block.cidr)).second) << "duplicate " << block.cidr;
  }
  for (const Case& c : kCases) cases.insert(c.cidr);
  EXPECT_EQ(table, cases);
}

TEST(SpecialBlocksTest, RowsAreWellFormed) {
  for (const SpecialBlock& block : SpecialBlocks()) {
    // Parsed (a bad row aborts), with no host bits set (ParseIpPrefix refuses those).
    EXPECT_EQ(ParseIpPrefix(block.prefix.ToString()), block.prefix) << block.cidr;
    EXPECT_FALSE(block.name.empty()) << block.cidr;
    EXPECT_EQ(block.rfc.substr(0, 4), "RFC ") << block.cidr;
  }
}

TEST(SpecialBlocksTest, FirstAndLastAddressOfEveryBlockAreRefused) {
  for (const SpecialBlock& block : SpecialBlocks()) {
    IpAddress last = block.prefix.base;
    const int width = last.v6 ? 128 : 32;
    for (int bit = block.prefix.bits; bit < width; ++bit) {
      last.bytes[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
    EXPECT_NE(FindSpecialBlock(block.prefix.base), nullptr) << block.cidr;
    EXPECT_NE(FindSpecialBlock(last), nullptr) << block.cidr << " " << last.ToString();
  }
}

TEST(SpecialBlocksTest, GloballyReachableEntriesInsideARefusedBlockAreRefused) {
  EXPECT_EQ(BlockOf("192.0.0.9"), "192.0.0.0/24");   // PCP anycast
  EXPECT_EQ(BlockOf("192.0.0.10"), "192.0.0.0/24");  // TURN anycast
  for (const char* s : {"2001:1::1", "2001:1::2", "2001:1::3", "2001:3::1", "2001:4:112::1",
                        "2001:20::1", "2001:30::1"}) {
    EXPECT_EQ(BlockOf(s), "2001::/23") << s;
  }
}

TEST(SpecialBlocksTest, GloballyReachableEntriesOutsideRefusedBlocksAreAllowed) {
  // AS112-v4, AMT, direct delegation AS112 (IPv4 and IPv6).
  for (const char* s : {"192.31.196.1", "192.52.193.1", "192.175.48.1", "2620:4f:8000::1"}) {
    EXPECT_EQ(FindSpecialBlock(Ip(s)), nullptr) << s;
  }
}

TEST(SpecialBlocksTest, PublicAddressesAreInNoBlock) {
  for (const char* s : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "223.255.255.255", "2606:4700::1111",
                        "2001:4860:4860::8888", "2a00:1450::1"}) {
    EXPECT_EQ(FindSpecialBlock(Ip(s)), nullptr) << s;
  }
}

}  // namespace
}  // namespace hookd
