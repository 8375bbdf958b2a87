#include "deliver/ssrf_guard.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/testing/fake_resolver.h"
#include "tests/testing/ip.h"

namespace hookd {
namespace {

using testing::FakeResolver;
using testing::Ip;

std::string UrlFor(const std::string& host) {
  return host.find(':') != std::string::npos ? "http://[" + host + "]/" : "http://" + host + "/";
}

// One address in (usually at both edges of) every forbidden range.
const char* const kForbidden[] = {
    "0.0.0.0", "0.255.255.255", "10.0.0.1", "10.255.255.255", "100.64.0.0", "100.127.255.255",
    "127.0.0.1", "127.255.255.254", "169.254.0.1", "169.254.169.254", "172.16.0.1",
    "172.31.255.255", "192.0.0.1", "192.0.0.255", "192.0.2.1", "192.88.99.1", "192.168.0.1",
    "192.168.255.255", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "255.255.255.255",
    // IPv6
    "::", "::1", "0:0:0:0:0:0:0:1", "::127.0.0.1", "::8.8.8.8", "::ffff:127.0.0.1", "::ffff:7f00:1",
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:8.8.8.8", "::ffff:0:0", "64:ff9b::7f00:1",
    "64:ff9b::8.8.8.8", "64:ff9b:1::1", "64:ff9b:1:ffff::1", "100::", "100::ffff:ffff:ffff:ffff",
    "2001:db8::1", "2001:db8:ffff::1", "2002::", "2002:7f00:1::", "2002:ffff::1", "fc00::1",
    "fd00::1", "fdff:ffff::1", "fe80::1", "febf:ffff::1", "fec0::1", "feff::1", "ff02::1",
    "ff00::", "ffff:ffff:ffff:ffff::",
    // IPv4-translated and Teredo (the two from the issue), and the newer registry rows.
    "::ffff:0:7f00:1", "::ffff:0:127.0.0.1", "::ffff:0:a9fe:a9fe", "::ffff:0:0:0", "2001::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:1ff:ffff::1", "2001:2::1", "2001:10::1",
    "100:0:0:1::", "3fff::1", "3fff:fff:ffff::1", "5f00::1", "192.0.0.170", "192.88.99.2"};

const char* const kAllowed[] = {"93.184.216.34",
                                "8.8.8.8",
                                "1.1.1.1",
                                "9.255.255.255",
                                "11.0.0.0",
                                "100.63.255.255",
                                "100.128.0.0",
                                "126.255.255.255",
                                "128.0.0.0",
                                "169.253.255.255",
                                "169.255.0.0",
                                "172.15.255.255",
                                "172.32.0.0",
                                "192.0.1.0",
                                "192.0.3.0",
                                "192.88.98.255",
                                "192.167.255.255",
                                "192.169.0.0",
                                "198.17.255.255",
                                "198.20.0.0",
                                "198.51.99.255",
                                "203.0.112.255",
                                "223.255.255.255",
                                "2606:4700::1111",
                                "2001:4860:4860::8888",
                                "::1:0:0:1",
                                "::fffe:7f00:1",
                                "64:ff9b::1:0:0",
                                "64:ff9b:2::1",
                                "100:0:0:2::",
                                "::ffff:1:0:0",
                                "2001:200::1",
                                "3fff:1000::1",
                                "5f01::1",
                                "192.31.196.1",
                                "192.175.48.1",
                                "2620:4f:8000::1",
                                "2001:db9::1",
                                "2003::1",
                                "fbff::1",
                                "fe7f::1",
                                "fe00::1",
                                "2a00:1450::1"};

class ForbiddenLiteralTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ForbiddenLiteralTest, RefusedWithoutDns) {
  const IpAddress addr = Ip(GetParam());
  EXPECT_TRUE(IsForbiddenAddress(addr)) << GetParam();
  FakeResolver dns;
  SsrfGuard guard(dns, false);
  auto r = guard.CheckUrl(UrlFor(GetParam()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField);
  EXPECT_EQ(r.status().code(), "forbidden_target");
  EXPECT_NE(r.status().message().find(addr.ToString()), std::string::npos) << r.status().message();
  // The message names the setting that allows such a target (a local receiver while testing).
  EXPECT_NE(r.status().message().find("HOOKD_ALLOW_PRIVATE_TARGETS"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(dns.calls, 0);
  SsrfGuard open(dns, true);
  EXPECT_TRUE(open.CheckUrl(UrlFor(GetParam())).ok());
}
INSTANTIATE_TEST_SUITE_P(Table, ForbiddenLiteralTest, ::testing::ValuesIn(kForbidden));

TEST(IsForbiddenAddressTest, EveryIpv4InIpv6Spellings) {
  // Mapped, translated, compatible and NAT64 wrappers are refused whatever the embedded IPv4.
  for (const char* v4 : {"10.0.0.1", "127.0.0.1", "169.254.169.254", "192.168.1.1", "8.8.8.8"}) {
    for (std::string v6 : {"::ffff:", "::ffff:0:", "::", "64:ff9b::", "64:ff9b:1::"}) {
      EXPECT_TRUE(IsForbiddenAddress(Ip(v6 + v4))) << v6 + v4;
    }
  }
  // 6to4 (IPv4 in bits 16..47) and Teredo (client IPv4 inverted in the last 32 bits), for
  // 169.254.169.254, 127.0.0.1 and 8.8.8.8.
  for (const char* s :
       {"2002:a9fe:a9fe::1", "2002:7f00:1::1", "2002:808:808::1",
        "2001:0:4136:e378:8000:63bf:5601:5601", "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7"}) {
    EXPECT_TRUE(IsForbiddenAddress(Ip(s))) << s;
  }
}

TEST(SsrfGuardIssueTest, TranslatedAndTeredoAreRefusedAndNamed) {
  FakeResolver dns;
  SsrfGuard guard(dns, false);
  const std::pair<const char*, const char*> kCases[] = {
      {"http://[::ffff:0:7f00:1]/", "::ffff:0:0:0/96 (IPv4-translated Address, RFC 2765)"},
      {"http://[2001::1]/", "2001::/32 (TEREDO, RFC 4380, RFC 8190)"},
      {"http://[::ffff:127.0.0.1]/", "::ffff:0:0/96 (IPv4-mapped Address, RFC 4291)"},
      {"http://169.254.169.254/latest/meta-data/", "169.254.0.0/16 (Link Local, RFC 3927)"},
  };
  for (const auto& [url, block] : kCases) {
    auto r = guard.CheckUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), "forbidden_target") << url;
    EXPECT_NE(r.status().message().find(block), std::string::npos) << r.status().message();
    auto parsed = ParseEndpointUrl(url);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(guard.AddressToDial(*parsed).status().code(), "forbidden_target") << url;
  }
  // The same addresses as DNS answers (the check at delivery time).
  dns.Answer("translated.example", {"2606:4700::1111", "::ffff:0:7f00:1"});
  dns.Answer("teredo.example", {"2001::1"});
  for (const char* host : {"translated.example", "teredo.example"}) {
    auto url = ParseEndpointUrl(std::string("https://") + host + "/");
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(guard.AddressToDial(*url).status().code(), "forbidden_target") << host;
  }
  EXPECT_EQ(dns.calls, 2);
}

class AllowedLiteralTest : public ::testing::TestWithParam<const char*> {};

TEST_P(AllowedLiteralTest, Accepted) {
  EXPECT_FALSE(IsForbiddenAddress(Ip(GetParam())));
  FakeResolver dns;
  SsrfGuard guard(dns, false);
  auto url = guard.CheckUrl(UrlFor(GetParam()));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto dial = guard.AddressToDial(*url);
  ASSERT_TRUE(dial.ok());
  EXPECT_EQ(*dial, Ip(GetParam()));
  EXPECT_EQ(dns.calls, 0);
}
INSTANTIATE_TEST_SUITE_P(Table, AllowedLiteralTest, ::testing::ValuesIn(kAllowed));

class OddSpellingTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OddSpellingTest, InternalTargetInAnySpellingIsForbidden) {
  FakeResolver dns;
  SsrfGuard guard(dns, false);
  auto r = guard.CheckUrl(std::string("http://") + GetParam() + ":8080/hook");
  ASSERT_FALSE(r.ok()) << GetParam();
  EXPECT_EQ(r.status().code(), "forbidden_target") << r.status().ToString();
  EXPECT_EQ(dns.calls, 0);
}
INSTANTIATE_TEST_SUITE_P(
    Table, OddSpellingTest,
    ::testing::Values("127.1", "2130706433", "0x7f000001", "0X7F000001", "0177.0.0.1", "0x7f.0.0.1",
                      "0x7f.1", "017700000001", "127.0.1", "[::1]", "[::ffff:127.0.0.1]",
                      "[::ffff:7f00:1]", "[0:0:0:0:0:0:0:1]", "[::]", "[64:ff9b::7f00:1]",
                      "[2002:7f00:1::]", "[fe80::1]", "[fd00::1]", "[ff02::1]", "169.254.169.254",
                      "0251.0376.0251.0376", "0xa9fea9fe", "0", "[::ffff:0:127.0.0.1]",
                      "[::ffff:0:7f00:1]", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]",
                      "[::ffff:0:169.254.169.254]", "[::ffff:0:a9fe:a9fe]",
                      "[0:0:0:0:0:ffff:127.0.0.1]", "[2001::1]", "[2001:0:0:0:0:0:0:1]",
                      "169.254.43518", "0x7F.1"));

TEST(SsrfGuardDnsTest, NameResolvingToPrivateIsForbidden) {
  FakeResolver dns;
  dns.Answer("internal.example", {"10.0.0.1"});
  dns.Answer("localhost.example", {"127.0.0.1"});
  SsrfGuard guard(dns, false);
  auto r = guard.CheckUrl("https://internal.example/hook");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "forbidden_target");
  EXPECT_NE(r.status().message().find("10.0.0.1"), std::string::npos);
  // Host names are lower-cased before they are resolved.
  EXPECT_EQ(guard.CheckUrl("http://LocalHost.Example/").status().code(), "forbidden_target");
}

TEST(SsrfGuardDnsTest, MixedPublicAndPrivateAnswersAreForbidden) {
  FakeResolver dns;
  dns.Answer("rebind.example", {"93.184.216.34", "2606:4700::1111", "169.254.169.254"});
  dns.Answer("mapped.example", {"2606:4700::1111", "::ffff:10.0.0.1"});
  SsrfGuard guard(dns, false);
  auto r = guard.CheckUrl("http://rebind.example/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "forbidden_target");
  EXPECT_NE(r.status().message().find("169.254.169.254"), std::string::npos);
  EXPECT_EQ(guard.CheckUrl("http://mapped.example/").status().code(), "forbidden_target");
  auto url = ParseEndpointUrl("http://rebind.example/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(guard.AddressToDial(*url).status().code(), "forbidden_target");
}

TEST(SsrfGuardDnsTest, PublicAnswersDialTheFirst) {
  FakeResolver dns;
  dns.Answer("example.com", {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"});
  SsrfGuard guard(dns, false);
  auto url = guard.CheckUrl("https://example.com/hooks?x=1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto dial = guard.AddressToDial(*url);
  ASSERT_TRUE(dial.ok());
  EXPECT_EQ(dial->ToString(), "93.184.216.34");
  EXPECT_EQ(dns.calls, 2);  // once per call: registration and dial each resolve once
}

TEST(SsrfGuardDnsTest, UnresolvableHost) {
  FakeResolver dns;
  dns.Answer("empty.example", {});
  SsrfGuard guard(dns, false);
  auto r = guard.CheckUrl("http://nowhere.example/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField);
  EXPECT_EQ(r.status().code(), "unresolvable_host");
  EXPECT_EQ(guard.CheckUrl("http://empty.example/").status().code(), "unresolvable_host");
  SsrfGuard open(dns, true);
  EXPECT_EQ(open.CheckUrl("http://nowhere.example/").status().code(), "unresolvable_host");
}

TEST(SsrfGuardDnsTest, AllowPrivateLetsPrivateThrough) {
  FakeResolver dns;
  dns.Answer("internal.example", {"10.0.0.1", "93.184.216.34"});
  SsrfGuard guard(dns, true);
  EXPECT_TRUE(guard.allow_private());
  auto url = guard.CheckUrl("http://internal.example:8080/");
  ASSERT_TRUE(url.ok());
  auto dial = guard.AddressToDial(*url);
  ASSERT_TRUE(dial.ok());
  EXPECT_EQ(dial->ToString(), "10.0.0.1");
  auto loop = guard.CheckUrl("http://127.0.0.1:9000/");
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ(guard.AddressToDial(*loop)->ToString(), "127.0.0.1");
}

TEST(ParseEndpointUrlTest, HttpAndHttpsWithDefaultPorts) {
  auto http = ParseEndpointUrl("http://example.com");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->scheme, "http");
  EXPECT_EQ(http->host, "example.com");
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->target, "/");
  auto https = ParseEndpointUrl("HTTPS://Hooks.Example.COM/In/Box?a=B&c=%20");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->host, "hooks.example.com");
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->target, "/In/Box?a=B&c=%20");
  auto port = ParseEndpointUrl("https://example.com:8443?q=1");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->port, 8443);
  EXPECT_EQ(port->target, "/?q=1");
  auto v6 = ParseEndpointUrl("http://[2606:4700::1111]:65535/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "2606:4700::1111");
  EXPECT_EQ(v6->port, 65535);
  EXPECT_EQ(ParseEndpointUrl("http://a.b:1/")->port, 1);
  EXPECT_EQ(ParseEndpointUrl("http://example.com/@user")->host, "example.com");
}

class InvalidUrlTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidUrlTest, Refused) {
  auto r = ParseEndpointUrl(GetParam());
  ASSERT_FALSE(r.ok()) << GetParam();
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField);
  EXPECT_EQ(r.status().code(), "invalid_url");
  FakeResolver dns;
  SsrfGuard guard(dns, true);
  EXPECT_EQ(guard.CheckUrl(GetParam()).status().code(), "invalid_url");
  EXPECT_EQ(dns.calls, 0);
}
INSTANTIATE_TEST_SUITE_P(
    Table, InvalidUrlTest,
    ::testing::Values(
        "", "example.com", "//example.com/", "http:/example.com", "http:example.com",
        "ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
        "ws://example.com/", "httpx://example.com/", "http://user:pw@example.com/",
        "http://example.com@127.0.0.1/", "http://@example.com/", "http://example.com/#frag",
        "http://example.com#", "http://", "http:///path", "http://:80/", "http://?q",
        "http://example.com:0/", "http://example.com:65536/", "http://example.com:99999/",
        "http://example.com:/", "http://example.com:-1/", "http://example.com:80a/",
        "http://example.com:1:2/", "http://exa mple.com/", "http://example.com/a b",
        "http://example.com/\t", "http://example.com/\r\nX: y",
        std::string("http://example.com/\0", 20), "http://example.com/\x7f",
        "http://exa\\mple.com/", "http://127.0.0.1\\@evil.com/", "http://[::1/", "http://[::1]x/",
        "http://[fe80::1%25eth0]/", "http://[127.0.0.1]/", "http://::1/", "http://exa%2ample.com/",
        "http://ex\xc3\xa4mple.com/", "http://example.com/" + std::string(2030, 'a')));

TEST(ParseEndpointUrlTest, LengthLimit) {
  const std::string prefix = "http://example.com/";
  EXPECT_TRUE(ParseEndpointUrl(prefix + std::string(2048 - prefix.size(), 'a')).ok());
  EXPECT_FALSE(ParseEndpointUrl(prefix + std::string(2049 - prefix.size(), 'a')).ok());
}

// What the resolver does with the inet_aton spellings: wherever getaddrinfo reads a host as a
// numeric IPv4 address, ParseIpLiteral reads the same address, so the literal check sees what
// would be dialled; and even through the resolver, the answer is checked.
TEST(SystemResolverTest, NumericSpellingsAgreeWithGetaddrinfo) {
  SystemResolver dns;
  SsrfGuard guard(dns, false);
  for (const char* host :
       {"127.1", "127.0.1", "0x7f.1", "0x7f.0.0.1", "2130706433", "0x7f000001", "017700000001",
        "0177.0.0.1", "0", "169.254.43518", "0xa9fea9fe", "0251.0376.0251.0376", "10.1"}) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* res = nullptr;
    if (getaddrinfo(host, nullptr, &hints, &res) != 0) continue;  // not numeric to this libc
    sockaddr_in sin;
    std::memcpy(&sin, res->ai_addr, sizeof(sin));
    freeaddrinfo(res);
    IpAddress numeric;
    std::memcpy(numeric.bytes.data(), &sin.sin_addr, 4);
    EXPECT_EQ(ParseIpLiteral(host), numeric) << host;
    auto answers = dns.Resolve(host);
    ASSERT_TRUE(answers.ok()) << host;
    for (const IpAddress& a : *answers) EXPECT_TRUE(IsForbiddenAddress(a)) << host;
    EXPECT_EQ(guard.CheckUrl(std::string("http://") + host + "/").status().code(),
              "forbidden_target")
        << host;
  }
}

TEST(SystemResolverTest, LocalhostIsLoopback) {
  SystemResolver dns;
  auto r = dns.Resolve("localhost");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->empty());
  for (const IpAddress& a : *r) EXPECT_TRUE(IsForbiddenAddress(a)) << a.ToString();
  for (auto it = r->begin(); it != r->end(); ++it) EXPECT_EQ(std::count(it, r->end(), *it), 1);
  SsrfGuard guard(dns, false);
  EXPECT_EQ(guard.CheckUrl("http://localhost:8080/").status().code(), "forbidden_target");
}

}  // namespace
}  // namespace hookd

namespace hookd {
namespace {

TEST(SsrfGuardDnsCacheTest, ACheckedAnswerIsKeptForItsTimeAndThenCheckedAfresh) {
  FakeResolver dns;
  FakeClock clock(1'790'000'000'000);
  dns.Answer("hooks.example", {"93.184.216.34"});
  SsrfGuard guard(dns, false, &clock, std::chrono::seconds(30));
  auto url = ParseEndpointUrl("https://hooks.example/in");
  ASSERT_TRUE(url.ok());
  auto first = guard.AddressToDial(*url);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ToString(), "93.184.216.34");
  // The name now answers a private address (DNS rebinding). Within the time the checked answer
  // is dialled, without asking DNS again ...
  dns.Answer("hooks.example", {"10.0.0.7"});
  clock.Advance(std::chrono::seconds(29));
  auto cached = guard.AddressToDial(*url);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->ToString(), "93.184.216.34");
  EXPECT_EQ(dns.calls, 1);
  // ... and after it the new answer is checked and refused, and the refusal is not kept.
  clock.Advance(std::chrono::seconds(2));
  auto refused = guard.AddressToDial(*url);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "forbidden_target");
  EXPECT_EQ(guard.AddressToDial(*url).status().code(), "forbidden_target");
  EXPECT_EQ(dns.calls, 3);
}

TEST(SsrfGuardDnsCacheTest, WithoutAClockEveryCallResolves) {
  FakeResolver dns;
  dns.Answer("hooks.example", {"93.184.216.34"});
  SsrfGuard guard(dns, false);
  auto url = ParseEndpointUrl("https://hooks.example/in");
  ASSERT_TRUE(url.ok());
  ASSERT_TRUE(guard.AddressToDial(*url).ok());
  ASSERT_TRUE(guard.AddressToDial(*url).ok());
  EXPECT_EQ(dns.calls, 2);
}

}  // namespace
}  // namespace hookd
