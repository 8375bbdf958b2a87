// Every provider's verifier on correctly signed requests, so the fuzzer gets past the HMAC into
// the body, event id and event type paths. Input: the provider's name on the first line, then
// "Name: value" header lines, an empty line and the body; the target adds the signature headers
// the provider would send for that body (for "standard", a webhook-id too when none is given).
#include <cstdint>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/verdict_checks.h"
#include "ingest/verifier.h"
#include "ingest/verifier_util.h"

namespace {

using namespace hookd;

constexpr int64_t kNow = 1614265330;
const std::string kNowText = std::to_string(kNow);

size_t Count(const Headers& h, std::string_view name) { return h.GetAll(name).size(); }

struct Signed {
  std::string secret;
  bool tampered = false;  // the input itself carries a signature header: 401 is allowed
};

// Adds the signature headers to `h`; says whether the input already carried any.
Signed Sign(std::string_view provider, Headers& h, std::string_view body) {
  Signed out;
  if (provider == "stripe") {
    out.secret = "whsec_test_secret";
    out.tampered = Count(h, "Stripe-Signature") > 0;
    const std::string mac = HmacSha256(out.secret, kNowText + "." + std::string(body));
    h.Add("Stripe-Signature", "t=" + kNowText + ",v1=" + HexEncode(mac));
  } else if (provider == "github") {
    out.secret = "It's a Secret to Everybody";
    out.tampered = Count(h, "X-Hub-Signature-256") > 0;
    h.Add("X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256(out.secret, body)));
  } else if (provider == "shopify") {
    out.secret = "shpss_secret";
    out.tampered = Count(h, "X-Shopify-Hmac-Sha256") > 0;
    h.Add("X-Shopify-Hmac-Sha256", Base64Encode(HmacSha256(out.secret, body)));
  } else {  // standard
    out.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const std::string prefix = h.Has("webhook-id") ? "webhook-" : "svix-";
    if (Count(h, prefix + "id") == 0) h.Add(prefix + "id", "msg_fuzz");
    out.tampered = Count(h, prefix + "id") > 1 || Count(h, prefix + "timestamp") > 0 ||
                   Count(h, prefix + "signature") > 0;
    const std::string id(*h.Get(prefix + "id"));
    const std::string key = *Base64Decode(std::string_view(out.secret).substr(6));
    const std::string mac = HmacSha256(key, id + "." + kNowText + "." + std::string(body));
    h.Add(prefix + "timestamp", kNowText);
    h.Add(prefix + "signature", "v1," + Base64Encode(mac));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsView(data, size);
  const std::string_view provider = fuzz::TakeLine(in);
  const std::unique_ptr<Verifier> verifier = MakeVerifier(provider);
  if (!verifier) return -1;  // not worth keeping in the corpus
  Headers headers;
  fuzz::TakeHeaders(in, headers);
  const Signed sig = Sign(provider, headers, in);
  // An old secret first, as during a rotation: the current one must still verify.
  const std::vector<std::string> secrets{"previous-secret", sig.secret};
  const Result<VerifiedEvent> verdict = verifier->Verify({headers, in, secrets, 300, kNow});
  fuzz::CheckVerdict(verdict, in);
  if (sig.tampered) return 0;
  FUZZ_CHECK(
      verdict.ok() || verdict.status().kind() != ErrorKind::kUnauthenticated,
      "a correctly signed request is not refused as unsigned: " + verdict.status().ToString());
  // The body is judged exactly as ProbeJsonObject judges it.
  const bool body_ok = ProbeJsonObject(in, {}).ok();
  FUZZ_CHECK(body_ok || verdict.status().code() == "invalid_json", verdict.status().ToString());
  FUZZ_CHECK(!body_ok || verdict.status().code() != "invalid_json", verdict.status().ToString());
  return 0;
}
