// EndpointService against a real SQLite database with a scripted resolver: a host that does not
// resolve now is accepted with an unresolvable_host warning (on create and on a PATCH of the url),
// one that resolves to a private address is still 422 forbidden_target naming the setting that
// allows it, and forward_headers is stored, returned and validated (a refusal changes nothing).
#include "deliver/endpoint_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/testing/fake_resolver.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using nlohmann::json;

class EndpointServiceTest : public ::testing::Test {
 protected:
  int64_t Count() {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare("SELECT COUNT(*) FROM endpoints");
    EXPECT_TRUE(st.ok());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Int(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
  FakeClock clock_{1'790'000'000'000};
  SeededRandom random_{7};
  testing::FakeResolver resolver_{{{"public.example", {"93.184.216.34"}},
                                   {"internal.example", {"10.1.2.3"}},
                                   {"mixed.example", {"93.184.216.34", "127.0.0.1"}}}};
  SsrfGuard guard_{resolver_, /*allow_private=*/false};
  EndpointStore store_{*pool_};
  EndpointCache cache_{store_, clock_};
  EndpointService service_{store_, cache_, guard_, *pool_, clock_, random_};
};

TEST_F(EndpointServiceTest, AnUnresolvableHostIsAcceptedWithAWarning) {
  std::vector<EndpointWarning> warnings;
  auto e = service_.Create({{"url", "https://not-yet.example/hooks"}}, &warnings);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->url, "https://not-yet.example/hooks");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "unresolvable_host");
  EXPECT_NE(warnings[0].message.find("not-yet.example"), std::string::npos) << warnings[0].message;
  EXPECT_NE(warnings[0].message.find("every delivery"), std::string::npos) << warnings[0].message;
  EXPECT_EQ(Count(), 1);
  auto stored = service_.Get(e->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->url, "https://not-yet.example/hooks");
}

TEST_F(EndpointServiceTest, AResolvingPublicHostHasNoWarning) {
  std::vector<EndpointWarning> warnings = {{"stale", "from before"}};
  auto e = service_.Create({{"url", "https://public.example/hooks"}}, &warnings);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(warnings.empty());
}

TEST_F(EndpointServiceTest, AHostResolvingToAPrivateAddressIsStillRefused) {
  for (const char* url : {"https://internal.example/hooks", "http://mixed.example/",
                          "http://127.0.0.1:9000/hooks", "http://[::1]/"}) {
    std::vector<EndpointWarning> warnings;
    auto e = service_.Create({{"url", url}}, &warnings);
    ASSERT_FALSE(e.ok()) << url;
    EXPECT_EQ(e.status().code(), "forbidden_target") << url;
    EXPECT_EQ(e.status().kind(), ErrorKind::kInvalidField) << url;
    EXPECT_NE(e.status().message().find("HOOKD_ALLOW_PRIVATE_TARGETS"), std::string::npos)
        << e.status().message();
    EXPECT_TRUE(warnings.empty()) << url;
  }
  EXPECT_EQ(Count(), 0);
}

TEST_F(EndpointServiceTest, AnInvalidUrlIsStillRefused) {
  auto e = service_.Create({{"url", "ftp://not-yet.example/"}});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), "invalid_url");
  EXPECT_EQ(Count(), 0);
}

TEST_F(EndpointServiceTest, PatchingTheUrlToAnUnresolvableHostWarnsAndOtherPatchesDoNot) {
  auto e = service_.Create({{"url", "https://public.example/hooks"}});
  ASSERT_TRUE(e.ok());
  std::vector<EndpointWarning> warnings;
  auto changed = service_.Update(e->id, {{"url", "https://gone.example/h"}}, &warnings);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->url, "https://gone.example/h");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "unresolvable_host");
  // A patch without the url says nothing about it, though the stored host still does not resolve.
  auto again = service_.Update(e->id, {{"description", "d"}}, &warnings);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(warnings.empty());
  // A PATCH to a private host is refused and changes nothing.
  auto refused = service_.Update(
      e->id, {{"url", "https://internal.example/"}, {"description", "x"}}, &warnings);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), "forbidden_target");
  auto stored = service_.Get(e->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->url, "https://gone.example/h");
  EXPECT_EQ(stored->description, "d");
}

TEST_F(EndpointServiceTest, ForwardHeadersAreStoredLowerCaseAndReturned) {
  auto e = service_.Create({{"url", "https://public.example/hooks"},
                            {"forward_headers", {"X-GitHub-*", "Traceparent"}}});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const std::vector<std::string> expected = {"x-github-*", "traceparent"};
  EXPECT_EQ(e->forward_headers, expected);
  auto stored = service_.Get(e->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->forward_headers, expected);
  EXPECT_EQ(EndpointJson(*stored)["forward_headers"], json(expected));
  // Endpoints made without it forward nothing, and say so.
  auto plain = service_.Create({{"url", "https://public.example/other"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(EndpointJson(*plain)["forward_headers"], json::array());
  // PATCH replaces the list; an empty list forwards nothing.
  auto cleared = service_.Update(e->id, {{"forward_headers", json::array()}});
  ASSERT_TRUE(cleared.ok());
  EXPECT_TRUE(service_.Get(e->id)->forward_headers.empty());
}

TEST_F(EndpointServiceTest, RefusedForwardHeadersChangeNothing) {
  auto e = service_.Create(
      {{"url", "https://public.example/hooks"}, {"forward_headers", {"x-github-*"}}});
  ASSERT_TRUE(e.ok());
  for (const json& bad : {json{"authorization"}, json{"Cookie"}, json{"webhook-*"}, json{"host"},
                          json{"x github"}, json("x-github-*"), json{"hookd-event-type"}}) {
    auto r = service_.Update(e->id, {{"description", "changed"}, {"forward_headers", bad}});
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.status().code(), "invalid_field") << bad.dump();
    EXPECT_NE(r.status().message().find("forward_headers"), std::string::npos)
        << r.status().message();
    auto created = service_.Create({{"url", "https://public.example/x"}, {"forward_headers", bad}});
    EXPECT_FALSE(created.ok()) << bad.dump();
  }
  auto stored = service_.Get(e->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->description, "");
  EXPECT_EQ(stored->forward_headers, std::vector<std::string>{"x-github-*"});
  EXPECT_EQ(Count(), 1);
}

TEST_F(EndpointServiceTest, CustomHeadersMayNotUseHookdNames) {
  for (const char* name : {"hookd-event-type", "Hookd-Source-Id", "HOOKD-anything",
                           "webhook-signature", "Webhook-Id"}) {
    auto r =
        service_.Create({{"url", "https://public.example/hooks"}, {"headers", {{name, "forged"}}}});
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), "invalid_field") << name;
    EXPECT_NE(r.status().message().find("set by hookd"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(Count(), 0);
}

}  // namespace
}  // namespace hookd
