#include "common/request_id.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/http_errors.h"
#include "common/ids.h"

namespace hookd {
namespace {

TEST(RequestIdTest, UsableIdsAreVisibleAsciiUpTo128) {
  EXPECT_TRUE(IsUsableRequestId("a"));
  EXPECT_TRUE(IsUsableRequestId("4bf92f35-77b3-4da6-a3ce-929d0e0e4736"));
  EXPECT_TRUE(IsUsableRequestId("!~{}[]\"'/\\"));
  EXPECT_TRUE(IsUsableRequestId(std::string(128, 'x')));
  EXPECT_FALSE(IsUsableRequestId(""));
  EXPECT_FALSE(IsUsableRequestId(std::string(129, 'x')));
  EXPECT_FALSE(IsUsableRequestId("has space"));
  EXPECT_FALSE(IsUsableRequestId("tab\there"));
  EXPECT_FALSE(IsUsableRequestId("line\nbreak"));
  EXPECT_FALSE(IsUsableRequestId(std::string("nul\0x", 5)));
  EXPECT_FALSE(IsUsableRequestId("del\x7f"));
  EXPECT_FALSE(IsUsableRequestId("caf\xc3\xa9"));
}

TEST(RequestIdTest, TakesAUsableClientIdElseMakesOne) {
  FakeClock clock(1'800'000'000'000);
  SeededRandom random(7);
  Headers given;
  given.Add("X-Request-Id", "abc-123");
  EXPECT_EQ(RequestIdFor(given, clock, random), "abc-123");

  Headers lower;
  lower.Add("x-request-id", "from-proxy");
  EXPECT_EQ(RequestIdFor(lower, clock, random), "from-proxy");

  Headers none;
  const std::string made = RequestIdFor(none, clock, random);
  EXPECT_TRUE(LooksLikeId("req", made)) << made;
  EXPECT_NE(RequestIdFor(none, clock, random), made) << "each request its own";

  for (const std::string& bad : {std::string(""), std::string("a b"), std::string(129, 'y'),
                                 std::string("evil\r\nSet-Cookie: x=1")}) {
    Headers insane;
    insane.Add("X-Request-Id", bad);
    const std::string id = RequestIdFor(insane, clock, random);
    EXPECT_TRUE(LooksLikeId("req", id)) << "replaced: " << bad;
  }
}

TEST(RequestIdTest, EchoedInTheHeaderAndPutIntoErrorBodies) {
  HttpResponse error = ErrorResponse(Status::NotFound("no such source"));
  const auto said = AttachRequestId(error, "req_1");
  ASSERT_TRUE(said.has_value());
  EXPECT_EQ(said->code, "not_found");
  EXPECT_EQ(said->message, "no such source");
  ASSERT_EQ(error.headers.size(), 1u);
  EXPECT_EQ(error.headers[0].first, "X-Request-Id");
  EXPECT_EQ(error.headers[0].second, "req_1");
  const auto body = nlohmann::json::parse(error.body);
  EXPECT_EQ(
      body,
      nlohmann::json::parse(
          R"({"error":{"code":"not_found","message":"no such source","request_id":"req_1"}})"));

  // Retry-After and other headers stay.
  HttpResponse limited = ErrorResponse(
      Status(ErrorKind::kRateLimited, "too_many_attempts", "slow down").WithRetryAfter(7));
  AttachRequestId(limited, "abc");
  EXPECT_EQ(limited.headers.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(limited.body)["error"]["request_id"], "abc");

  // A success keeps its body; only the header is added.
  HttpResponse ok = JsonResponse(200, {{"status", "ok"}});
  const std::string before = ok.body;
  EXPECT_FALSE(AttachRequestId(ok, "req_2").has_value());
  EXPECT_EQ(ok.body, before);
  EXPECT_EQ(ok.headers.at(0).second, "req_2");

  // A 4xx that is not a JSON error (a page, text) keeps its body.
  HttpResponse page;
  page.status = 404;
  page.content_type = "text/html";
  page.body = "<p>not here</p>";
  EXPECT_FALSE(AttachRequestId(page, "r").has_value());
  EXPECT_EQ(page.body, "<p>not here</p>");
  HttpResponse odd = JsonResponse(400, {{"errors", {1, 2}}});
  const std::string odd_before = odd.body;
  EXPECT_FALSE(AttachRequestId(odd, "r").has_value());
  EXPECT_EQ(odd.body, odd_before);
}

}  // namespace
}  // namespace hookd
