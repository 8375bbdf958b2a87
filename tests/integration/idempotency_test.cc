// POST /api/v1/messages with an Idempotency-Key through the real server: the same key with the
// same request answers the first answer; with another request it is 422 idempotency_key_reused
// and creates nothing, also when the two race in one group commit.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/test_server.h"

namespace hookd::testing {
namespace {

using json = nlohmann::json;

httplib::Result Publish(httplib::Client& c, const httplib::Headers& admin, const json& body,
                        const std::string& key) {
  httplib::Headers h = admin;
  h.emplace("Idempotency-Key", key);
  return c.Post("/api/v1/messages", h, body.dump(), "application/json");
}

size_t Count(TestServer& t, const std::string& path) { return t.GetJson(path)["data"].size(); }

class IdempotencyTest : public ::testing::Test {
 protected:
  static Settings AllowPrivate() {
    Settings s;
    s.allow_private_targets = true;
    return s;
  }
  TestServer t_{"", nullptr, AllowPrivate()};
};

TEST_F(IdempotencyTest, AKeyReusedWithAnotherBodyIs422AndCreatesNothing) {
  t_.CreateEndpoint({{"url", "http://127.0.0.1:9/hook"}});
  const json first = {{"event_type", "order.created"}, {"payload", {{"order", 1}}}};
  auto r1 = Publish(t_.client(), t_.Admin(), first, "order-1");
  ASSERT_TRUE(r1);
  ASSERT_EQ(r1->status, 202) << r1->body;

  for (const json& other : {json{{"event_type", "order.created"}, {"payload", {{"order", 2}}}},
                            json{{"event_type", "order.paid"}, {"payload", {{"order", 1}}}},
                            json{{"event_type", "order.created"},
                                 {"payload", {{"order", 1}}},
                                 {"source_id", "src_0123456789ABCDEFGHJKMNPQRS"}}}) {
    auto r = Publish(t_.client(), t_.Admin(), other, "order-1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << other.dump();
    const json err = json::parse(r->body, nullptr, false);
    EXPECT_EQ(err["error"]["code"], "idempotency_key_reused") << r->body;
    EXPECT_NE(err["error"]["message"].get<std::string>().find("Idempotency-Key"), std::string::npos)
        << r->body;
  }
  EXPECT_EQ(Count(t_, "/api/v1/messages"), 1u);
  EXPECT_EQ(Count(t_, "/api/v1/deliveries"), 1u);

  // The same request again is the first answer, and still creates nothing.
  auto again = Publish(t_.client(), t_.Admin(), first, "order-1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202);
  EXPECT_EQ(json::parse(again->body), json::parse(r1->body));
  EXPECT_EQ(Count(t_, "/api/v1/messages"), 1u);
  EXPECT_EQ(Count(t_, "/api/v1/deliveries"), 1u);
}

// Concurrent requests of one key, half with another body: whichever body commits first owns the
// key; every request with it gets its answer, every other one 422, and one message is stored.
TEST_F(IdempotencyTest, ConcurrentRequestsWithTwoBodiesOfOneKeyMakeOneMessage) {
  constexpr int kClients = 16;
  std::vector<int> statuses(kClients);
  std::vector<std::string> bodies(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", t_.server().port());
      auto r = Publish(c, t_.Admin(),
                       {{"event_type", "order.created"}, {"payload", {{"variant", i % 2}}}},
                       "order-race");
      if (!r) return;
      statuses[i] = r->status;
      bodies[i] = r->body;
    });
  }
  for (auto& c : clients) c.join();
  const auto messages = t_.GetJson("/api/v1/messages")["data"];
  ASSERT_EQ(messages.size(), 1u);
  const auto stored = t_.GetJson("/api/v1/messages/" + messages[0]["id"].get<std::string>());
  const int winner = stored["payload"]["variant"];
  for (int i = 0; i < kClients; ++i) {
    if (i % 2 == winner) {
      EXPECT_EQ(statuses[i], 202) << i << bodies[i];
      EXPECT_EQ(json::parse(bodies[i], nullptr, false)["id"], messages[0]["id"]) << i;
    } else {
      EXPECT_EQ(statuses[i], 422) << i << bodies[i];
      EXPECT_EQ(json::parse(bodies[i], nullptr, false)["error"]["code"], "idempotency_key_reused")
          << i;
    }
  }
}

}  // namespace
}  // namespace hookd::testing
