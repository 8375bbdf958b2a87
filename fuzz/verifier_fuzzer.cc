// One provider's verifier (HOOKD_FUZZ_PROVIDER, set per target in fuzz/CMakeLists.txt) on
// arbitrary requests. Input: the secret on the first line, then "Name: value" header lines, an
// empty line and the body. The clock stands at the test vectors' timestamp, so the vectors in
// the seed corpus verify.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "fuzz/verdict_checks.h"
#include "ingest/verifier.h"

namespace {
constexpr int64_t kNow = 1614265330;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hookd;
  static const std::unique_ptr<Verifier> verifier = MakeVerifier(HOOKD_FUZZ_PROVIDER);
  std::string_view in = fuzz::AsView(data, size);
  const std::vector<std::string> secrets{std::string(fuzz::TakeLine(in))};
  Headers headers;
  fuzz::TakeHeaders(in, headers);
  const VerifyInput input{headers, in, secrets, 300, kNow};
  const Result<VerifiedEvent> verdict = verifier->Verify(input);
  fuzz::CheckVerdict(verdict, in);
  // Verifiers are pure: the same request gets the same verdict.
  const Result<VerifiedEvent> again = verifier->Verify(input);
  FUZZ_CHECK(again.ok() == verdict.ok(), "the same verdict twice");
  if (verdict.ok()) FUZZ_CHECK(again->provider_event_id == verdict->provider_event_id, "same id");
  return 0;
}
