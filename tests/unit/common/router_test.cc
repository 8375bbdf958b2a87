#include "common/router.h"

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http_types.h"
#include "common/status.h"

namespace hookd {
namespace {

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

// Dispatches and returns the one response; fails the test when Reply is called other than once.
HttpResponse Send(const Router& router, HttpRequest& req) {
  std::vector<HttpResponse> got;
  router.Dispatch(req, [&](HttpResponse r) { got.push_back(std::move(r)); });
  EXPECT_EQ(got.size(), 1u) << req.method << " " << req.path;
  return got.empty() ? HttpResponse{} : got.front();
}

HttpResponse Send(const Router& router, std::string method, std::string path) {
  HttpRequest req = Req(std::move(method), std::move(path));
  return Send(router, req);
}

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

// Asserts the API.md error shape and returns error.code.
std::string ErrorCode(const HttpResponse& r) {
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].contains("code") || !j["error"]["code"].is_string() ||
      !j["error"].contains("message") || !j["error"]["message"].is_string()) {
    ADD_FAILURE() << "not an error body: " << r.body;
    return "";
  }
  return j["error"]["code"].get<std::string>();
}

TEST(RouterTest, CapturesPathParams) {
  Router router;
  std::map<std::string, std::string> seen;
  router.Add("GET", "/api/v1/sources/:id/events/:event_id", Access::kPublic,
             SyncHandler([&](HttpRequest& req) {
               seen = req.params;
               return Text("ok");
             }));
  HttpResponse r = Send(router, "GET", "/api/v1/sources/src_123/events/evt_9");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(seen, (std::map<std::string, std::string>{{"id", "src_123"}, {"event_id", "evt_9"}}));
}

TEST(RouterTest, ListsItsRoutesAsRegistered) {
  Router router;
  const SyncHandler ok = [](HttpRequest&) { return HttpResponse{}; };
  router.Add("GET", "/api/v1/sources/:id", Access::kAdmin, ok);
  router.Add("POST", "/ingest/:source_id", Access::kPublic, ok);
  router.Add("GET", "/portal/", Access::kPublic, ok);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"GET", "/api/v1/sources/:id"}, {"POST", "/ingest/:source_id"}, {"GET", "/portal/"}};
  EXPECT_EQ(router.Routes(), want);
}

TEST(RouterTest, PicksTheRouteMatchingLiteralSegments) {
  Router router;
  router.Add("GET", "/api/v1/sources", Access::kPublic,
             SyncHandler([](HttpRequest&) { return Text("list"); }));
  router.Add("GET", "/api/v1/sources/:id", Access::kPublic,
             SyncHandler([](HttpRequest& req) { return Text("one " + req.params.at("id")); }));
  router.Add("GET", "/api/v1/events/:id", Access::kPublic,
             SyncHandler([](HttpRequest& req) { return Text("event " + req.params.at("id")); }));
  EXPECT_EQ(Send(router, "GET", "/api/v1/sources").body, "list");
  EXPECT_EQ(Send(router, "GET", "/api/v1/sources/abc").body, "one abc");
  EXPECT_EQ(Send(router, "GET", "/api/v1/events/abc").body, "event abc");
  // A param never spans segments.
  EXPECT_EQ(Send(router, "GET", "/api/v1/sources/abc/def").status, 404);
}

TEST(RouterTest, AsyncHandlerRepliesThroughReply) {
  Router router;
  Reply saved;
  router.Add("POST", "/in/:id", Access::kPublic, AsyncHandler([&](HttpRequest&, Reply reply) {
               saved = std::move(reply);  // answered later, like the group-commit writer
             }));
  HttpRequest req = Req("POST", "/in/x");
  std::vector<HttpResponse> got;
  router.Dispatch(req, [&](HttpResponse r) { got.push_back(std::move(r)); });
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(saved);
  HttpResponse accepted;
  accepted.status = 202;
  saved(accepted);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 202);
}

TEST(RouterTest, UnknownPathIs404Json) {
  Router router;
  router.Add("GET", "/api/v1/sources", Access::kPublic,
             SyncHandler([](HttpRequest&) { return Text("list"); }));
  for (const char* path : {"/", "/nope", "/api/v1", "/api/v1/sources/x", "/api/v1/source"}) {
    HttpResponse r = Send(router, "GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(ErrorCode(r), "not_found") << path;
  }
  Router empty;
  HttpResponse r = Send(empty, "GET", "/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
}

TEST(RouterTest, WrongMethodOnKnownPathIs405Json) {
  Router router;
  int calls = 0;
  router.Add("GET", "/api/v1/sources/:id", Access::kPublic, SyncHandler([&](HttpRequest&) {
               ++calls;
               return Text("x");
             }));
  router.Add("DELETE", "/api/v1/sources/:id", Access::kPublic, SyncHandler([&](HttpRequest&) {
               ++calls;
               return Text("deleted");
             }));
  for (const char* method : {"POST", "PUT", "PATCH", "OPTIONS"}) {
    HttpResponse r = Send(router, method, "/api/v1/sources/abc");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(ErrorCode(r), "method_not_allowed") << method;
  }
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(Send(router, "DELETE", "/api/v1/sources/abc").body, "deleted");
  EXPECT_EQ(calls, 1);
}

TEST(RouterTest, HeadIsServedByGetRoute) {
  Router router;
  std::string method_seen;
  router.Add("GET", "/healthz", Access::kPublic, SyncHandler([&](HttpRequest& req) {
               method_seen = req.method;
               return Text("up");
             }));
  router.Add("POST", "/only-post", Access::kPublic,
             SyncHandler([](HttpRequest&) { return Text("posted"); }));
  HttpResponse r = Send(router, "HEAD", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(method_seen, "HEAD");
  // HEAD does not fall back to non-GET routes.
  EXPECT_EQ(Send(router, "HEAD", "/only-post").status, 405);
}

TEST(RouterTest, AdminRouteWithoutAuthenticatorFailsClosed) {
  Router router;
  bool ran = false;
  router.Add("GET", "/api/v1/secret", Access::kAdmin, SyncHandler([&](HttpRequest&) {
               ran = true;
               return Text("secret");
             }));
  HttpResponse r = Send(router, "GET", "/api/v1/secret");
  EXPECT_EQ(r.status, 401);
  EXPECT_FALSE(ran);
}

TEST(RouterTest, NonStandardExceptionIs500Json) {
  Router router;
  router.Add("GET", "/boom", Access::kPublic,
             SyncHandler([](HttpRequest&) -> HttpResponse { throw 42; }));
  HttpResponse r = Send(router, "GET", "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(ErrorCode(r), "internal");
}

TEST(RouterTest, AdminRouteRejectedByAuthenticatorDoesNotRunHandler) {
  Router router;
  int auth_calls = 0;
  int handler_calls = 0;
  router.SetAuthenticator([&](const HttpRequest& req) {
    ++auth_calls;
    if (req.headers.Get("authorization") == std::optional<std::string_view>("Bearer good"))
      return Status::Ok();
    return Status::Unauthenticated("unauthorized", "missing or wrong admin token");
  });
  router.Add("GET", "/api/v1/sources", Access::kAdmin, SyncHandler([&](HttpRequest&) {
               ++handler_calls;
               return Text("secret");
             }));
  router.Add("GET", "/healthz", Access::kPublic,
             SyncHandler([&](HttpRequest&) { return Text("up"); }));

  HttpResponse denied = Send(router, "GET", "/api/v1/sources");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(ErrorCode(denied), "unauthorized");
  EXPECT_EQ(denied.body.find("secret"), std::string::npos);
  EXPECT_EQ(auth_calls, 1);
  EXPECT_EQ(handler_calls, 0);

  HttpRequest ok = Req("GET", "/api/v1/sources");
  ok.headers.Add("Authorization", "Bearer good");
  HttpResponse allowed = Send(router, ok);
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.body, "secret");
  EXPECT_EQ(auth_calls, 2);
  EXPECT_EQ(handler_calls, 1);

  // Public routes never consult the authenticator.
  EXPECT_EQ(Send(router, "GET", "/healthz").status, 200);
  EXPECT_EQ(auth_calls, 2);
}

TEST(RouterTest, AuthenticatorStatusBecomesTheResponse) {
  Router router;
  router.SetAuthenticator([](const HttpRequest&) {
    return Status(ErrorKind::kRateLimited, "rate_limited", "slow down");
  });
  router.Add("POST", "/admin/:id", Access::kAdmin,
             AsyncHandler([](HttpRequest&, Reply reply) { reply(Text("ran")); }));
  HttpResponse r = Send(router, "POST", "/admin/1");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ErrorCode(r), "rate_limited");
}

TEST(RouterTest, ThrowingHandlerIs500Json) {
  Router router;
  router.Add("GET", "/boom", Access::kPublic,
             SyncHandler([](HttpRequest&) -> HttpResponse { throw std::runtime_error("kaput"); }));
  router.Add("POST", "/boom-async", Access::kPublic,
             AsyncHandler([](HttpRequest&, Reply) { throw std::out_of_range("map::at"); }));
  for (auto [method, path] : {std::pair{"GET", "/boom"}, std::pair{"POST", "/boom-async"}}) {
    HttpResponse r = Send(router, method, path);
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(r.content_type, "application/json");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.body;
    ASSERT_TRUE(j.is_object()) << r.body;
    ASSERT_TRUE(j.contains("error")) << r.body;
    ASSERT_TRUE(j["error"].is_object()) << r.body;
    ASSERT_TRUE(j["error"].contains("code")) << r.body;
    ASSERT_TRUE(j["error"].contains("message")) << r.body;
    EXPECT_TRUE(j["error"]["code"].is_string());
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_EQ(j["error"]["code"], "internal");
  }
}

TEST(RouterTest, RouterStillWorksAfterAHandlerThrew) {
  Router router;
  router.Add("GET", "/boom", Access::kPublic,
             SyncHandler([](HttpRequest&) -> HttpResponse { throw std::runtime_error("x"); }));
  router.Add("GET", "/fine", Access::kPublic,
             SyncHandler([](HttpRequest&) { return Text("fine"); }));
  EXPECT_EQ(Send(router, "GET", "/boom").status, 500);
  EXPECT_EQ(Send(router, "GET", "/fine").body, "fine");
}

}  // namespace
}  // namespace hookd
