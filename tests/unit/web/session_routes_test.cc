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
        throttle_(clock_),
        access_(auth_, sessions_, throttle_, {"https://hooks.example.com"}) {
    router_.SetAuthenticator([this](const HttpRequest& req) { return access_.Check(req); });
    RegisterSessionRoutes(router_, auth_, sessions_, throttle_, {"https://hooks.example.com"},
                          false);
    router_.Add("GET", "/admin", Access::kAdmin, SyncHandler([](HttpRequest&) {
                  return JsonResponse(200, {{"ok", true}});
                }));
    router_.Add("POST", "/admin", Access::kAdmin, SyncHandler([this](HttpRequest&) {
                  ++changes_;
                  return JsonResponse(200, {{"changed", true}});
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
  AuthThrottle throttle_;
  AdminAccess access_;
  Router router_;
  int changes_ = 0;
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
  RegisterSessionRoutes(always, auth_, sessions_, throttle_, {}, true);
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
    req.method = "GET";
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

// A request that changes state with the session cookie, as a browser on `origin` would send it
// to hookd at 127.0.0.1:8080.
HttpRequest CookiePost(const std::string& cookie,
                       std::vector<std::pair<std::string, std::string>> headers) {
  HttpRequest req;
  req.method = "POST";
  req.path = "/admin";
  req.remote_address = "127.0.0.1";
  req.headers.Add("Host", "127.0.0.1:8080");
  req.headers.Add("Cookie", cookie);
  for (auto& [k, v] : headers) req.headers.Add(k, v);
  return req;
}

TEST_F(SessionRoutesTest, ReproducesCrossSiteCookieChangesNeedASameOriginJsonRequest) {
  const std::string pair = Pair(SetCookie(SignIn(R"({"token": "admin-token"})")));
  const std::pair<std::string, std::string> json{"Content-Type", "application/json"};
  struct Case {
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {{{"Origin", "http://127.0.0.1:8080"}, json}, 200, ""},
      {{{"Origin", "HTTP://127.0.0.1:8080"}, {"Content-Type", "application/json; charset=utf-8"}},
       200,
       ""},
      {{{"Referer", "http://127.0.0.1:8080/#/endpoints"}, json}, 200, ""},
      {{{"Origin", "https://hooks.example.com"}, json}, 200, ""},  // HOOKD_PUBLIC_URL
      {{{"Origin", "http://evil.example"}, json}, 403, "forbidden_origin"},
      {{{"Origin", "http://127.0.0.1:9999"}, json}, 403, "forbidden_origin"},  // another port
      {{{"Origin", "https://127.0.0.1:8080"}, json}, 403, "forbidden_origin"},
      {{{"Origin", "null"}, json}, 403, "forbidden_origin"},
      {{{"Referer", "http://evil.example/page"}, json}, 403, "forbidden_origin"},
      {{json}, 403, "forbidden_origin"},  // neither Origin nor Referer
      {{{"Origin", "http://127.0.0.1:8080"}, {"Content-Type", "application/x-www-form-urlencoded"}},
       415,
       "unsupported_media_type"},
      {{{"Origin", "http://127.0.0.1:8080"}}, 415, "unsupported_media_type"},  // empty body
      {{{"Origin", "http://127.0.0.1:8080"}, {"Content-Type", "text/plain"}},
       415,
       "unsupported_media_type"},
  };
  int allowed = 0;
  for (const Case& c : cases) {
    HttpResponse r = Send(CookiePost(pair, c.headers));
    EXPECT_EQ(r.status, c.status) << r.body;
    if (c.status == 200) {
      ++allowed;
    } else {
      EXPECT_EQ(ErrorCode(r), c.code);
    }
  }
  EXPECT_EQ(changes_, allowed);  // a refused request changed nothing
  // Behind a TLS proxy the page's origin is https.
  EXPECT_EQ(
      Send(CookiePost(pair,
                      {{"X-Forwarded-Proto", "https"}, {"Origin", "https://127.0.0.1:8080"}, json}))
          .status,
      200);
  // Reads need no Origin, and bearer-token requests are not checked.
  EXPECT_EQ(WithCookie("GET", "/admin", pair).status, 200);
  HttpRequest bearer;
  bearer.method = "POST";
  bearer.path = "/admin";
  bearer.headers.Add("Authorization", "Bearer admin-token");
  bearer.headers.Add("Origin", "http://evil.example");
  EXPECT_EQ(Send(bearer).status, 200);
  // Sign-in and sign-out from another site's page are refused too.
  HttpResponse foreign = SignIn(R"({"token": "admin-token"})", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(SetCookie(foreign), "");
}

TEST_F(SessionRoutesTest, ReproducesTokenGuessingWrongTokensAreThrottledPerAddress) {
  auto sign_in = [&](const std::string& token, const std::string& address) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/session";
    req.remote_address = address;
    req.headers.Add("Content-Type", "application/json");
    req.body = nlohmann::json{{"token", token}}.dump();
    return Send(std::move(req));
  };
  for (int i = 0; i < 10; ++i) EXPECT_EQ(sign_in("guess", "203.0.113.5").status, 401) << i;
  HttpResponse limited = sign_in("guess", "203.0.113.5");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(ErrorCode(limited), "too_many_attempts");
  std::string retry_after;
  for (const auto& [k, v] : limited.headers)
    if (k == "Retry-After") retry_after = v;
  EXPECT_EQ(retry_after, "6");
  // The right token is not even looked at from there now; another address is not limited.
  EXPECT_EQ(sign_in("admin-token", "203.0.113.5").status, 429);
  EXPECT_EQ(sign_in("admin-token", "198.51.100.7").status, 200);
  // The bearer token counts against the same bucket.
  HttpRequest bearer;
  bearer.method = "GET";
  bearer.path = "/admin";
  bearer.remote_address = "203.0.113.5";
  bearer.headers.Add("Authorization", "Bearer admin-token");
  EXPECT_EQ(Send(bearer).status, 429);
  // One more try per refill interval.
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_EQ(Send(bearer).status, 200);
  bearer.headers = {};
  bearer.headers.Add("Authorization", "Bearer wrong");
  EXPECT_EQ(Send(bearer).status, 401);
  EXPECT_EQ(Send(bearer).status, 429);
}

TEST_F(SessionRoutesTest, BehindTheLoopbackProxyTheForwardedAddressIsCounted) {
  HttpRequest req;
  req.remote_address = "127.0.0.1";
  req.headers.Add("X-Forwarded-For", "10.9.9.9, 203.0.113.5");
  EXPECT_EQ(ClientAddress(req), "203.0.113.5");  // what the proxy added, not what the client said
  req.remote_address = "198.51.100.7";  // not a proxy of ours: the header is the client's own say
  EXPECT_EQ(ClientAddress(req), "198.51.100.7");
  HttpRequest plain;
  plain.remote_address = "::1";
  EXPECT_EQ(ClientAddress(plain), "::1");
  // A last entry too long to be an address is not kept as a throttle key.
  HttpRequest oversized;
  oversized.remote_address = "127.0.0.1";
  oversized.headers.Add("X-Forwarded-For", std::string(60000, 'a'));
  EXPECT_EQ(ClientAddress(oversized), "127.0.0.1");
}

TEST_F(SessionRoutesTest, RecheckDoesNotCountAsAUseOfTheSession) {
  const std::string pair = Pair(SetCookie(SignIn(R"({"token": "admin-token"})")));
  HttpRequest req;
  req.headers.Add("Cookie", pair);
  // Checked again every minute for 13 hours: the session still ends 12 h after its last use.
  for (int i = 0; i < 13 * 60; ++i) {
    clock_.Advance(std::chrono::minutes(1));
    if (!access_.Recheck(req).ok()) {
      EXPECT_GE(i, 12 * 60 - 1);
      return;
    }
  }
  ADD_FAILURE() << "an open stream kept its session alive past the idle limit";
}

}  // namespace
}  // namespace hookd
