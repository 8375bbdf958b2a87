#include "web/session_cookie.h"

#include <string>

#include <gtest/gtest.h>

#include "common/http_types.h"

namespace hookd {
namespace {

HttpRequest WithHeader(const std::string& name, const std::string& value) {
  HttpRequest req;
  req.headers.Add(name, value);
  return req;
}

TEST(SessionCookieTest, FindsTheSessionCookie) {
  auto value = [](const std::string& header) {
    const HttpRequest req = WithHeader("Cookie", header);  // the view points into it
    auto v = SessionCookieValue(req);
    return v ? std::string(*v) : std::string("<none>");
  };
  EXPECT_EQ(value("hookd_session=abc"), "abc");
  EXPECT_EQ(value("theme=dark; hookd_session=abc; x=1"), "abc");
  EXPECT_EQ(value("theme=dark;hookd_session=abc"), "abc");
  EXPECT_EQ(value("hookd_session="), "");
  EXPECT_EQ(value("xhookd_session=abc"), "<none>");
  EXPECT_EQ(value("hookd_sessionx=abc"), "<none>");
  EXPECT_EQ(value("hookd_session"), "<none>");
  EXPECT_EQ(value(""), "<none>");
  // Header names are case-insensitive, and a second Cookie header is read too.
  const HttpRequest lower = WithHeader("cookie", "hookd_session=abc");
  EXPECT_EQ(std::string(*SessionCookieValue(lower)), "abc");
  HttpRequest two;
  two.headers.Add("Cookie", "a=1");
  two.headers.Add("Cookie", "hookd_session=def");
  EXPECT_EQ(std::string(*SessionCookieValue(two)), "def");
  EXPECT_FALSE(SessionCookieValue(WithHeader("Set-Cookie", "hookd_session=abc")));
}

TEST(SessionCookieTest, ForwardedOverHttps) {
  EXPECT_TRUE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", "https")));
  EXPECT_TRUE(ForwardedOverHttps(WithHeader("x-forwarded-proto", "HTTPS")));
  EXPECT_TRUE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", " https ")));
  EXPECT_TRUE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", "https, http")));
  EXPECT_TRUE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", "http,https")));
  EXPECT_FALSE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", "http")));
  EXPECT_FALSE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", "httpsx")));
  EXPECT_FALSE(ForwardedOverHttps(WithHeader("X-Forwarded-Proto", "")));
  EXPECT_FALSE(ForwardedOverHttps(WithHeader("X-Forwarded-Host", "https")));
  EXPECT_FALSE(ForwardedOverHttps(HttpRequest{}));
}

TEST(SessionCookieTest, SetAndClear) {
  EXPECT_EQ(SessionSetCookie("abc", 604800, false),
            "hookd_session=abc; Path=/; Max-Age=604800; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionSetCookie("abc", 60, true),
            "hookd_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(SessionClearCookie(false),
            "hookd_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  EXPECT_EQ(SessionClearCookie(true),
            "hookd_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
}

}  // namespace
}  // namespace hookd
