#include "cli/listen.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/local_forwarder.h"

namespace hookd::cli {
namespace {

TEST(ParseLocalUrlTest, AddsTheSchemeAndSplitsOriginAndPath) {
  auto a = ParseLocalUrl("localhost:3000/webhooks?x=1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->origin, "http://localhost:3000");
  EXPECT_EQ(a->path, "/webhooks?x=1");
  auto b = ParseLocalUrl("https://127.0.0.1:8443");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->origin, "https://127.0.0.1:8443");
  EXPECT_EQ(b->path, "/");
  for (const char* bad : {"ftp://x/", "http:///x", "http://user@host/", "http://a b/",
                          "http://host/\n", "gopher://x"})
    EXPECT_FALSE(ParseLocalUrl(bad).ok()) << bad;
}

TEST(ListenLineTest, SaysWhatCameOfEachDelivery) {
  ListenDelivery d;
  d.headers = {{"webhook-id", "msg_1"}, {"Hookd-Event-Type", "order.created"}};
  ListenResult ok;
  ok.status = 204;
  ok.duration_ms = 12;
  EXPECT_EQ(ListenLine(d, ok, 1'796'000'000), "00:53:20 order.created msg_1 -> 204 (12 ms)");
  ListenResult failed;
  failed.error = "Connection (http://localhost:9)";
  EXPECT_EQ(ListenLine(d, failed, 1'796'000'000),
            "00:53:20 order.created msg_1 -> error: Connection (http://localhost:9) (0 ms)");
  const auto j = nlohmann::json::parse(ListenJsonLine(d, failed, 1'796'000'000));
  EXPECT_EQ(j["message_id"], "msg_1");
  EXPECT_EQ(j["event_type"], "order.created");
  EXPECT_EQ(j["status"], 0);
  EXPECT_EQ(j["error"], "Connection (http://localhost:9)");
}

}  // namespace
}  // namespace hookd::cli
