// The SSRF guard: ParseEndpointUrl and SsrfGuard::CheckUrl / AddressToDial with a scripted
// resolver. Input: the URL on the first line; every further line that is an IP literal is one
// DNS answer for the URL's host (no such line: the name does not resolve).
#include <cstdint>
#include <string>
#include <vector>

#include "deliver/ip_address.h"
#include "deliver/request_target.h"
#include "deliver/ssrf_guard.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace hookd;

class ScriptedResolver final : public Resolver {
 public:
  explicit ScriptedResolver(std::vector<IpAddress> answers) : answers_(std::move(answers)) {}
  Result<std::vector<IpAddress>> Resolve(const std::string& host) override {
    ++calls;
    last_host = host;
    if (answers_.empty())
      return Status(ErrorKind::kInvalidField, "unresolvable_host", "no answers for " + host);
    return answers_;
  }
  int calls = 0;
  std::string last_host;

 private:
  std::vector<IpAddress> answers_;
};

// The scheme's default port is left out, so the result is never longer than the URL parsed (its
// target is percent-encoded already, and the encoded length is what the length limit counts).
std::string Unparse(const EndpointUrl& u) {
  const bool v6 = u.host.find(':') != std::string::npos;
  const bool default_port = u.port == (u.scheme == "https" ? 443 : 80);
  return u.scheme + "://" + (v6 ? "[" + u.host + "]" : u.host) +
         (default_port ? "" : ":" + std::to_string(u.port)) + u.target;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsView(data, size);
  const std::string_view url = fuzz::TakeLine(in);
  std::vector<IpAddress> answers;
  for (std::string_view line : fuzz::Lines(in))
    if (auto ip = ParseIpLiteral(line)) answers.push_back(*ip);

  const Result<EndpointUrl> parsed = ParseEndpointUrl(url);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == "invalid_url", parsed.status().ToString());
    return 0;
  }
  const EndpointUrl& u = *parsed;
  FUZZ_CHECK(u.scheme == "http" || u.scheme == "https", u.scheme);
  FUZZ_CHECK(!u.host.empty() && u.port != 0, std::string(url));
  FUZZ_CHECK(!u.target.empty() && u.target[0] == '/', u.target);
  for (char c : u.host) FUZZ_CHECK(c < 'A' || c > 'Z', "the host is lower-case");
  for (char c : u.host + u.target)
    FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f && c != '#', std::string(url));
  FUZZ_CHECK(u.host.find('@') == std::string::npos, "no userinfo");
  // The target goes on the request line as it is: ASCII only, "%" only in escapes.
  FUZZ_CHECK(EncodeRequestTarget(u.target) == u.target, u.target);
  for (char c : u.target) FUZZ_CHECK(static_cast<unsigned char>(c) < 0x80, u.target);
  // The parts, written back as a URL, parse to the same parts.
  const Result<EndpointUrl> again = ParseEndpointUrl(Unparse(u));
  FUZZ_CHECK(again.ok(), Unparse(u) + ": " + again.status().ToString());
  FUZZ_CHECK(again->scheme == u.scheme && again->host == u.host && again->port == u.port &&
                 again->target == u.target,
             Unparse(u));

  const auto literal = ParseIpLiteral(u.host);
  for (bool allow_private : {false, true}) {
    ScriptedResolver resolver(answers);
    SsrfGuard guard(resolver, allow_private);
    const Result<IpAddress> dial = guard.AddressToDial(u);
    const Result<EndpointUrl> checked = guard.CheckUrl(url);
    FUZZ_CHECK(dial.ok() == checked.ok(), std::string(url));
    if (literal) {
      // A literal in any spelling is checked as is; DNS is never asked.
      FUZZ_CHECK(resolver.calls == 0, u.host);
      FUZZ_CHECK(dial.ok() == (allow_private || !IsForbiddenAddress(*literal)), u.host);
      if (dial.ok()) FUZZ_CHECK(*dial == *literal, u.host);
      continue;
    }
    FUZZ_CHECK(resolver.calls == 2 && resolver.last_host == u.host, u.host);
    if (answers.empty()) {
      FUZZ_CHECK(!dial.ok() && dial.status().code() == "unresolvable_host",
                 dial.status().ToString());
      continue;
    }
    bool any_forbidden = false;
    for (const IpAddress& a : answers) any_forbidden = any_forbidden || IsForbiddenAddress(a);
    if (!allow_private && any_forbidden) {
      FUZZ_CHECK(!dial.ok() && dial.status().code() == "forbidden_target", u.host);
    } else {
      // The address dialled is the first answer, and it passed the check.
      FUZZ_CHECK(dial.ok() && *dial == answers.front(), u.host);
    }
  }
  return 0;
}
