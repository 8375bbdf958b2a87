// The command line's pieces on their own: every shipped sample verifies with hookd's own verifier
// for its provider (and not with another secret), with the event type `trigger` reports; overrides
// land in the payload; the argument parser refuses what a command does not take.
#include "cli/samples.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/cli_args.h"
#include "common/http_types.h"
#include "common/random.h"
#include "ingest/verifier.h"

namespace hookd::cli {
namespace {

constexpr int64_t kNow = 1'790'000'000;

std::string SecretFor(const std::string& provider) {
  return provider == "standard" ? "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : "shh-" + provider;
}

Result<VerifiedEvent> Check(const std::string& provider, const SignedSample& s,
                            const std::string& secret) {
  Headers headers;
  for (const auto& [k, v] : s.headers) headers.Add(k, v);
  const std::vector<std::string> secrets = {secret};
  return MakeVerifier(provider)->Verify({headers, s.body, secrets, 300, kNow});
}

TEST(SamplesTest, EverySampleVerifiesWithHookdsVerifierWithTheReportedType) {
  SeededRandom random(7);
  for (const SampleInfo& info : SampleList()) {
    const std::string event = info.provider == "standard" ? "order.created" : info.event;
    auto s = MakeSample(info.provider, event, SecretFor(info.provider), kNow, random, {});
    ASSERT_TRUE(s.ok()) << info.provider << " " << event << ": " << s.status().message();
    auto v = Check(info.provider, *s, SecretFor(info.provider));
    ASSERT_TRUE(v.ok()) << info.provider << " " << event << ": " << v.status().message();
    EXPECT_EQ(v->event_type, s->event_type) << info.provider << " " << event;
    EXPECT_FALSE(v->provider_event_id.empty());
    const std::string other =
        info.provider == "standard" ? "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" : "another";
    EXPECT_FALSE(Check(info.provider, *s, other).ok()) << info.provider << " " << event;
  }
}

TEST(SamplesTest, OverridesSetNestedFieldsAsJsonOrText) {
  SeededRandom random(7);
  auto s = MakeSample("stripe", "invoice.paid", "k", kNow, random,
                      {{"data.object.amount_paid", "9900"}, {"extra.note", "two words"}});
  ASSERT_TRUE(s.ok());
  const auto body = nlohmann::json::parse(s->body);
  EXPECT_EQ(body["data"]["object"]["amount_paid"], 9900);
  EXPECT_EQ(body["extra"]["note"], "two words");
  EXPECT_FALSE(MakeSample("stripe", "invoice.paid", "k", kNow, random, {{"id.x", "1"}}).ok())
      << "a path through a string";
  EXPECT_FALSE(MakeSample("stripe", "invoice.paid", "k", kNow, random, {{"", "1"}}).ok());
  EXPECT_FALSE(MakeSample("github", "release", "k", kNow, random, {}).ok());
  EXPECT_FALSE(MakeSample("gitlab", "push", "k", kNow, random, {}).ok());
  EXPECT_FALSE(MakeSample("standard", "a.b", "not-whsec", kNow, random, {}).ok());
}

TEST(CliArgsTest, OptionsPositionalsSwitchesAndRepeats) {
  auto a = ParseArgs({"push", "--source", "src_1", "--json", "--override=a=1", "--override", "b=2"},
                     {"--source", "--json", "--override"}, {"--json"}, {"--override"});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->positional, std::vector<std::string>{"push"});
  EXPECT_EQ(a->Get("--source"), "src_1");
  EXPECT_TRUE(a->Has("--json"));
  EXPECT_EQ(a->lists.at("--override"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_FALSE(ParseArgs({"--bogus"}, {"--source"}, {}).ok());
  EXPECT_FALSE(ParseArgs({"--source"}, {"--source"}, {}).ok()) << "a value is needed";
  EXPECT_FALSE(ParseArgs({"--source", "a", "--source", "b"}, {"--source"}, {}).ok());
  EXPECT_FALSE(ParseArgs({"--json=1"}, {"--json"}, {"--json"}).ok());
}

}  // namespace
}  // namespace hookd::cli
