// The Pistache edge on its own: draining on shutdown.
#include "common/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "common/http_errors.h"
#include "tests/testing/wait.h"

namespace hookd {
namespace {

using testing::WaitUntil;

TEST(HttpServer, DrainAnswersNewRequests503AndWaitsForDispatchedOnes) {
  Router router;
  std::mutex mu;
  Reply held;  // the reply of a request still being worked on
  router.Add("GET", "/slow", Access::kPublic, AsyncHandler([&](HttpRequest&, Reply reply) {
               std::lock_guard<std::mutex> lock(mu);
               held = std::move(reply);
             }));
  router.Add("GET", "/fast", Access::kPublic, SyncHandler([](HttpRequest&) {
               return JsonResponse(200, {{"ok", true}});
             }));
  HttpServerOptions options;
  options.port = 0;
  HttpServer server(options, router);
  ASSERT_TRUE(server.Start().ok());

  httplib::Client slow_client("127.0.0.1", server.port());
  std::thread slow([&] {
    auto r = slow_client.Get("/slow");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);  // a dispatched request is still answered after the drain began
  });
  EXPECT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<bool>(held);
  }));

  server.BeginDrain();
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Get("/fast");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "shutting_down");
  EXPECT_EQ(r->get_header_value("Connection"), "close");

  EXPECT_FALSE(server.WaitIdle(std::chrono::milliseconds(50)));  // /slow is unanswered
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_TRUE(held);
    held(JsonResponse(200, {{"ok", true}}));
  }
  EXPECT_TRUE(server.WaitIdle(std::chrono::seconds(5)));
  slow.join();
  server.Stop();
}

}  // namespace
}  // namespace hookd
