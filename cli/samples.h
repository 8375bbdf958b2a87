// The signed sample events `hookd trigger` sends (API.md, "The command line"): each provider's
// body and headers as the provider sends them, signed with the source's secret the way that
// provider signs, so hookd's own verifier accepts them. Shipped in the binary. Pure, given the
// time and the randomness.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/random.h"
#include "common/result.h"

namespace hookd::cli {

struct SampleInfo {
  std::string provider;  // github, stripe, shopify, standard
  std::string event;     // as given on the command line
  std::string description;
};

// What `hookd trigger --list` shows ("standard" takes any type; one example is listed).
const std::vector<SampleInfo>& SampleList();

struct SignedSample {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string event_type;  // the type hookd will record
};

// The sample for `provider` and `event`, with `overrides` ("a.b" -> value: JSON when it parses,
// else a string) set in its payload, signed with `secret` at `now_s`. 422-style errors for an
// unknown provider or event, a bad override path or a secret the provider cannot use.
Result<SignedSample> MakeSample(const std::string& provider, const std::string& event,
                                const std::string& secret, int64_t now_s, Random& random,
                                const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace hookd::cli
