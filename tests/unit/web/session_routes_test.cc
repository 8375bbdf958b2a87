// The session routes and AdminAccess through the framework-neutral Router, with an in-memory
// store and a fake clock.
#include "web/session_routes.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/admin_auth.h"
#include "common/clock.h"
#include "common/http_errors.h"
#include "common/random.h"
#include "tests/unit/web/fake_session_store.h"
#include "web/admin_access.h"
#include "web/sessions.h"

namespace hookd {
namespace {

using testing::FakeSessionStore;

class SessionRoutesTest : public ::testing::Test {
 protected:
  SessionRoutesTest()
      : clock_(1'700'000'000'000),
        random_(7),
        auth_("admin-token"),
        sessions_(store_, clock_, random_, Sessions::TokenFingerprint("admin-token")),
        access_(auth_, sessions_) {
    router_.SetAuthenticator([this](const HttpRequest& req) { return access_.Check(req); });
    RegisterSessionRoutes(router_, auth_, sessions_, false);
    router_.Add("GET", "/admin", Access::kAdmin, SyncHandler([](HttpRequest&) {
                  return JsonResponse(200, {{"ok", true}});
                }));
  }

  HttpResponse Send(HttpRequest req) {
    std::vector<HttpResponse> got;
    router_.Dispatch(req, [&](HttpResponse r) { got.push_back(std::move(r)); });
    EXPECT_EQ(got.size(), 1u);
    return got.empty() ? HttpResponse{} : got.front();
  }
  HttpResponse SignIn(const std::string& body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/session";
    req.headers.Add("Content-Type", "application/json");
    for (auto& [k, v] : headers) req.headers.Add(k, v);
    req.body = body;
    return Send(std::move(req));
  }
  HttpResponse WithCookie(const std::string& method, const std::string& path,
                          const std::string& cookie) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    if (!cookie.empty()) req.headers.Add("Cookie", cookie);
    return Send(std::move(req));
  }
  static std::string SetCookie(const HttpResponse& r) {
    for (const auto& [k, v] : r.headers)
      if (k == "Set-Cookie") return v;
    return "";
  }
  static std::string Pair(const std::string& set_cookie) {
    return set_cookie.substr(0, set_cookie.find(';'));
  }
  static std::string ErrorCode(const HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains("error")) return "<not an error: " + r.body + ">";
    return j["error"]["code"].get<std::string>();
  }

  FakeSessionStore store_;
  FakeClock clock_;
  SeededRandom random_;
  AdminAuth auth_;
  Sessions sessions_;
  AdminAccess access_;
  Router router_;
};

TEST_F(SessionRoutesTest, SignInSetsAStrictHttpOnlyCookieNamingANewSession) {
  HttpResponse r = SignIn(R"({"token": "admin-token"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string c = SetCookie(r);
  EXPECT_EQ(c.rfind("hookd_session=", 0), 0u) << c;
  EXPECT_NE(c.find("; HttpOnly"), std::string::npos) << c;
  EXPECT_NE(c.find("; SameSite=Strict"), std::string::npos) << c;
  EXPECT_NE(c.find("; Path=/"), std::string::npos) << c;
  EXPECT_NE(c.find("; Max-Age=604800"), std::string::npos) << c;  // the absolute limit
  EXPECT_EQ(c.find("Secure"), std::string::npos) << c;
  EXPECT_EQ(c.find("admin-token"), std::string::npos) << c;
  EXPECT_EQ(nlohmann::json::parse(r.body)["expires_at"], "2023-11-21T22:13:20.000Z");
  EXPECT_EQ(store_.rows.size(), 1u);

  EXPECT_EQ(WithCookie("GET", "/admin", Pair(c)).status, 200);
  const std::string again = SetCookie(SignIn(R"({"token": "admin-token"})"));
  EXPECT_NE(Pair(again), Pair(c));
}

TEST_F(SessionRoutesTest, SecureOverHttps) {
  EXPECT_NE(SetCookie(SignIn(R"({"token": "admin-token"})", {{"X-Forwarded-Proto", "https"}}))
                .find("; Secure"),
            std::string::npos);
  Router always;
  RegisterSessionRoutes(always, auth_, sessions_, true);
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/session";
  req.headers.Add("Content-Type", "application/json");
  req.body = R"({"token": "admin-token"})";
  std::vector<HttpResponse> got;
  always.Dispatch(req, [&](HttpResponse r) { got.push_back(std::move(r)); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(SetCookie(got[0]).find("; Secure"), std::string::npos);
}

TEST_F(SessionRoutesTest, BadSignInsAreJsonErrors) {
  struct Case {
    std::string body;
    int status;
  };
  for (const Case& c : std::vector<Case>{{R"({"token": "admin-tokenx"})", 401},
                                         {R"({"token": ""})", 401},
                                         {R"({})", 401},
                                         {R"({"token": 5})", 422},
                                         {R"({"token": )", 400},
                                         {R"([])", 400}}) {
    HttpResponse r = SignIn(c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(SetCookie(r), "") << c.body;
    EXPECT_NE(ErrorCode(r).rfind("<not", 0), 0u) << r.body;
  }
  EXPECT_TRUE(store_.rows.empty());
}

TEST_F(SessionRoutesTest, SignInWhenTheStoreFailsIs503) {
  store_.fail = true;
  HttpResponse r = SignIn(R"({"token": "admin-token"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(ErrorCode(r), "unavailable");
  EXPECT_EQ(SetCookie(r), "");
}

TEST_F(SessionRoutesTest, SignOutRevokesAndClears) {
  const std::string pair = Pair(SetCookie(SignIn(R"({"token": "admin-token"})")));
  ASSERT_EQ(WithCookie("GET", "/admin", pair).status, 200);
  HttpResponse out = WithCookie("DELETE", "/api/v1/session", "theme=x; " + pair);
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_NE(SetCookie(out).find("hookd_session=; "), std::string::npos) << SetCookie(out);
  EXPECT_NE(SetCookie(out).find("Max-Age=0"), std::string::npos) << SetCookie(out);
  HttpResponse after = WithCookie("GET", "/admin", pair);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(ErrorCode(after), "unauthorized");
  EXPECT_TRUE(store_.rows.empty());
  // Without a cookie, or with a made-up one: still 200 and cleared.
  EXPECT_EQ(WithCookie("DELETE", "/api/v1/session", "").status, 200);
  EXPECT_EQ(WithCookie("DELETE", "/api/v1/session", "hookd_session=nonsense").status, 200);
}

TEST_F(SessionRoutesTest, SignOutWhenTheStoreFailsIs503ButTheSessionEndsHere) {
  const std::string pair = Pair(SetCookie(SignIn(R"({"token": "admin-token"})")));
  store_.fail = true;
  HttpResponse out = WithCookie("DELETE", "/api/v1/session", pair);
  EXPECT_EQ(out.status, 503);
  EXPECT_NE(SetCookie(out).find("Max-Age=0"), std::string::npos);
  store_.fail = false;
  EXPECT_EQ(WithCookie("GET", "/admin", pair).status, 401);
}

TEST_F(SessionRoutesTest, SignInOverASessionReplacesIt) {
  const std::string first = Pair(SetCookie(SignIn(R"({"token": "admin-token"})")));
  const std::string second =
      Pair(SetCookie(SignIn(R"({"token": "admin-token"})", {{"Cookie", first}})));
  EXPECT_EQ(WithCookie("GET", "/admin", first).status, 401);
  EXPECT_EQ(WithCookie("GET", "/admin", second).status, 200);
}

TEST_F(SessionRoutesTest, AdminAccessAcceptsTheBearerTokenOrALiveSession) {
  const std::string pair = Pair(SetCookie(SignIn(R"({"token": "admin-token"})")));
  auto check = [&](std::vector<std::pair<std::string, std::string>> headers) {
    HttpRequest req;
    for (auto& [k, v] : headers) req.headers.Add(k, v);
    return access_.Check(req);
  };
  EXPECT_TRUE(check({{"Authorization", "Bearer admin-token"}}).ok());
  EXPECT_TRUE(check({{"Cookie", pair}}).ok());
  EXPECT_TRUE(check({{"Authorization", "Bearer wrong"}, {"Cookie", pair}}).ok());
  EXPECT_EQ(check({}).kind(), ErrorKind::kUnauthenticated);
  EXPECT_EQ(check({{"Authorization", "Bearer wrong"}}).kind(), ErrorKind::kUnauthenticated);
  // The token itself is not a session.
  EXPECT_EQ(check({{"Cookie", "hookd_session=admin-token"}}).kind(), ErrorKind::kUnauthenticated);
  EXPECT_EQ(check({{"Cookie", "hookd_session=" + std::string(64, 'a')}}).kind(),
            ErrorKind::kUnauthenticated);

  // The store fails and the session is not known lately: 503, never let in. The bearer token
  // needs no store.
  clock_.Advance(std::chrono::minutes(1));
  store_.fail = true;
  EXPECT_EQ(check({{"Cookie", pair}}).kind(), ErrorKind::kUnavailable);
  EXPECT_TRUE(check({{"Authorization", "Bearer admin-token"}}).ok());
  HttpResponse r = WithCookie("GET", "/admin", pair);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(ErrorCode(r), "unavailable");
}

}  // namespace
}  // namespace hookd
