#include "common/crypto.h"

#include <algorithm>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/random.h"

namespace hookd {
namespace {

TEST(CryptoTest, HmacSha256KnownAnswers) {
  // RFC 4231 test cases 1 and 2.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than the block size.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // GitHub's documented example.
  EXPECT_EQ(HexEncode(HmacSha256("It's a Secret to Everybody", "Hello, World!")),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  // Empty key and message.
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(HmacSha256("k", "m").size(), 32u);
}

TEST(CryptoTest, HmacEmptyKeyIsNotPreviousKey) {
  std::string first = HmacSha256("some key", "msg");
  EXPECT_NE(HmacSha256("", "msg"), first);
  EXPECT_EQ(HmacSha256("", "msg"), HmacSha256(std::string_view(), "msg"));
}

TEST(CryptoTest, Sha256KnownAnswers) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HexRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(HexDecode(HexEncode(all)), all);
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_EQ(HexDecode("DEADbeef"), std::string("\xde\xad\xbe\xef"));
}

TEST(CryptoTest, HexDecodeRejects) {
  EXPECT_FALSE(HexDecode("abc").has_value());  // odd length
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(HexDecode(" 0a").has_value());
  EXPECT_FALSE(HexDecode("0a ").has_value());
  EXPECT_FALSE(HexDecode("0x0a").has_value());
}

TEST(CryptoTest, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [raw, b64] : cases) {
    EXPECT_EQ(Base64Encode(raw), b64);
    EXPECT_EQ(Base64Decode(b64), std::string(raw)) << b64;
  }
}

TEST(CryptoTest, Base64RoundTripAndMissingPadding) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(255 - i));
  for (size_t n = 0; n <= all.size(); ++n) {
    std::string raw = all.substr(0, n);
    std::string b64 = Base64Encode(raw);
    ASSERT_EQ(Base64Decode(b64), raw) << n;
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    ASSERT_EQ(Base64Decode(b64), raw) << "unpadded " << n;
  }
  EXPECT_EQ(Base64Decode("Zg"), std::string("f"));
  EXPECT_EQ(Base64Decode("Zm8"), std::string("fo"));
  EXPECT_EQ(Base64Decode("+/+/"), std::string("\xfb\xff\xbf"));
}

TEST(CryptoTest, Base64DecodeRejects) {
  const char* bad[] = {
      "Z",         // impossible length
      "Zm9vY",     // 5 characters: impossible length
      "Zg=",       // partial padding
      "Zg===",     // too much padding
      "Zm9v====",  // padding after a full group
      "=",        "==", "====",
      "Zg==Zg==",  // padding in the middle
      "Zm9v!",     // invalid character
      "Zm 9v",     // whitespace
      "Zm9v\n",
      "-_-_",  // URL-safe alphabet
      "Zm9=v",
  };
  for (const char* b64 : bad) EXPECT_FALSE(Base64Decode(b64).has_value()) << b64;
  EXPECT_FALSE(Base64Decode(std::string_view("Zm\0v", 4)).has_value());
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("xbc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));  // a prefix is not equal
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  std::string mac = HmacSha256("k", "m");
  EXPECT_TRUE(ConstantTimeEquals(mac, HmacSha256("k", "m")));
  EXPECT_FALSE(ConstantTimeEquals(mac, mac.substr(0, 16)));
}

TEST(RandomTest, SeededRandomIsDeterministic) {
  SeededRandom a(42), b(42), c(43);
  std::string bytes_a = a.Bytes(100);
  EXPECT_EQ(bytes_a, b.Bytes(100));
  EXPECT_NE(bytes_a, c.Bytes(100));
  EXPECT_EQ(a.NextU64(), b.NextU64());
  EXPECT_NE(a.Bytes(32), bytes_a.substr(0, 32));  // the stream advances
}

TEST(RandomTest, SeededRandomIsSplitMix64) {
  // splitmix64 with seed 0 first outputs 0xe220a8397b1dcdaf, then 0x6e789e6aa1b965f4;
  // each output is emitted little-endian.
  SeededRandom r(0);
  EXPECT_EQ(r.Bytes(16), std::string("\xaf\xcd\x1d\x7b\x39\xa8\x20\xe2"
                                     "\xf4\x65\xb9\xa1\x6a\x9e\x78\x6e",
                                     16));
}

TEST(RandomTest, NextDoubleInUnitInterval) {
  SeededRandom r(7);
  for (int i = 0; i < 1000; ++i) {
    double d = r.NextDouble();
    EXPECT_GE(d, 0.0);
    EXPECT_LT(d, 1.0);
  }
}

TEST(RandomTest, SecureRandomProducesDistinctBytes) {
  SecureRandom r;
  std::set<std::string> seen;
  for (int i = 0; i < 16; ++i) seen.insert(r.Bytes(16));
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(r.Bytes(0), "");
  EXPECT_EQ(r.Bytes(100000).size(), 100000u);
}

TEST(RandomTest, SecureRandomSmallFillsAcrossBufferRefillsNeverRepeat) {
  // Small fills come from a per-thread buffer: sizes that do not divide its length cross the
  // refill boundary, and every value, including those at the boundary, must be fresh.
  SecureRandom r;
  std::set<std::string> seen;
  size_t zero_bytes = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string b = r.Bytes(i % 2 ? 10 : 7);
    zero_bytes += static_cast<size_t>(std::count(b.begin(), b.end(), '\0'));
    seen.insert(b);
  }
  EXPECT_EQ(seen.size(), 2000u);
  // About 17,000 random bytes hold ~67 zeros; a stale, wiped buffer would hold thousands.
  EXPECT_LT(zero_bytes, 200u);
  // Values from two threads differ too (each has its own buffer).
  std::string other;
  std::thread([&] { other = r.Bytes(10); }).join();
  EXPECT_NE(other, r.Bytes(10));
}

}  // namespace
}  // namespace hookd
