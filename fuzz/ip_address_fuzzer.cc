// ParseIpLiteral, the SSRF guard's reading of IP literals in every spelling inet_aton accepts.
// Input: one host.
#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "deliver/ip_address.h"
#include "deliver/ssrf_guard.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hookd;
  const std::string host(fuzz::AsView(data, size));
  const auto ip = ParseIpLiteral(host);
  if (!ip) return 0;
  // The canonical spelling reads back to the same address.
  const std::string text = ip->ToString();
  const auto again = ParseIpLiteral(text);
  FUZZ_CHECK(again && *again == *ip, host + " -> " + text);
  if (ip->v6) {
    // The bracketed form is the same address.
    const auto bracketed = ParseIpLiteral("[" + text + "]");
    FUZZ_CHECK(bracketed && *bracketed == *ip, text);
  } else {
    for (size_t i = 4; i < ip->bytes.size(); ++i)
      FUZZ_CHECK(ip->bytes[i] == 0, "IPv4 uses 4 bytes");
    // Every IPv4 spelling accepted is one the C library reads as the same address, so the guard
    // checks the address a connection would reach.
    in_addr libc{};
    FUZZ_CHECK(inet_aton(host.c_str(), &libc) == 1, host);
    FUZZ_CHECK(std::memcmp(&libc, ip->bytes.data(), 4) == 0, host + " -> " + text);
    // IPv4-mapped IPv6 of any IPv4 address is refused outright.
    const auto mapped = ParseIpLiteral("::ffff:" + text);
    FUZZ_CHECK(mapped && mapped->v6 && IsForbiddenAddress(*mapped), text);
  }
  return 0;
}
