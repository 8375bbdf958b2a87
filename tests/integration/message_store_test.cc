// Messages on both engines, published and read as each engine's code does (tests/testing/
// store_engines.h, MessagesUnderTest): fan-out to the enabled endpoints of the message's
// application that subscribe to it, with its event type counted and its `message.created` entry;
// a repeated Idempotency-Key answering the first answer, another request under it refused, the key
// free again after 24 h; unknown and deleted applications and invalid requests refused with
// nothing written; the reads (a message with its deliveries, a delivery with its attempts, the
// lists' filters, order and cursors). pg_messages_compare_test.cc compares the two engines.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "tests/testing/message_fixtures.h"
#include "tests/testing/store_engines.h"

namespace hookd::testing {
namespace {

using json = nlohmann::json;

template <typename Engine>
class MessageStoreTest : public EngineTest<Engine> {
 protected:
  void SetUp() override {
    EngineTest<Engine>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    Seed(this->engine_);
    if (this->HasFatalFailure()) return;
    messages_ = this->engine_.MakeMessages(clock_, random_);
  }

  json Publish(const json& req, const std::optional<std::string>& key = std::nullopt,
               const std::string& app = "app_a") {
    auto r = messages_->Publish(req, key, app);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : json::object();
  }

  // Nothing of any message: no message, delivery, event type or message.created entry.
  void ExpectNothingWritten() {
    EXPECT_EQ(this->Count("SELECT COUNT(*) FROM messages"), 0);
    EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries"), 0);
    EXPECT_EQ(this->Count("SELECT COUNT(*) FROM event_types"), 0);
    EXPECT_EQ(this->Count("SELECT COUNT(*) FROM status_log WHERE type = 'message.created'"), 0);
  }

  std::vector<std::string> Ids(const Result<json>& page) {
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const json& item : (*page)["data"]) ids.push_back(item["id"]);
    }
    return ids;
  }

  FakeClock clock_{kNow};
  SeededRandom random_{7};
  std::unique_ptr<MessagesUnderTest> messages_;
};

TYPED_TEST_SUITE(MessageStoreTest, StoreEngines, EngineName);

TYPED_TEST(MessageStoreTest, FansOutToTheEnabledSubscribedEndpointsOfItsApplication) {
  const json order = this->Publish(Order(1));
  EXPECT_EQ(order["event_type"], "order.created");
  EXPECT_EQ(order["deliveries"], 2);
  const std::string id = order["id"];
  EXPECT_EQ(this->engine_.Rows("SELECT endpoint_id, status, attempts, next_attempt_at, created_at,"
                               " app_id FROM deliveries WHERE message_id = '" +
                                   id + "' ORDER BY seq",
                               6),
            "ep_a1|pending|0|" + std::to_string(kNow) + "|" + std::to_string(kNow) +
                "|app_a\nep_a2|pending|0|" + std::to_string(kNow) + "|" + std::to_string(kNow) +
                "|app_a\n");
  EXPECT_EQ(this->engine_.Text("SELECT response FROM messages WHERE id = '" + id + "'"),
            order.dump());
  const json created =
      json::parse(this->engine_.Text("SELECT data FROM status_log WHERE type = 'message.created'"));
  EXPECT_EQ(created, json({{"message_id", id},
                           {"app_id", "app_a"},
                           {"event_type", "order.created"},
                           {"deliveries", 2}}));

  this->clock_.Advance(std::chrono::milliseconds(5));
  EXPECT_EQ(this->Publish({{"event_type", "user.created"}, {"payload", 1}})["deliveries"], 1);
  EXPECT_EQ(this->Publish(Order(2))["deliveries"], 2);
  EXPECT_EQ(this->Publish(Order(3), std::nullopt, "app_b")["deliveries"], 1);
  EXPECT_EQ(this->engine_.Rows("SELECT app_id, event_type, count, last_seen FROM event_types"
                               " ORDER BY app_id, event_type",
                               4),
            "app_a|order.created|2|" + std::to_string(kNow + 5) + "\napp_a|user.created|1|" +
                std::to_string(kNow + 5) + "\napp_b|order.created|1|" + std::to_string(kNow + 5) +
                "\n");
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries"), 6);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = 'ep_a3'"), 0);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = 'ep_b1'"), 1);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM status_log WHERE type = 'message.created'"), 4);
}

TYPED_TEST(MessageStoreTest, ARepeatedKeyAnswersTheFirstAnswerAndWritesNothing) {
  const json first =
      this->Publish({{"event_type", "order.created"}, {"payload", {{"a", 1}, {"b", 2}}}}, "k1");
  this->clock_.Advance(std::chrono::seconds(1));
  // The same request, its payload's keys in another order.
  const json again = this->Publish(
      {{"payload", json::parse(R"({"b":2,"a":1})")}, {"event_type", "order.created"}}, "k1");
  EXPECT_EQ(again, first);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM messages"), 1);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries"), 2);
  EXPECT_EQ(this->engine_.Text("SELECT count FROM event_types"), "1");
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM status_log WHERE type = 'message.created'"), 1);
  // A key is one application's: the same key in another application is another message.
  const json other = this->Publish(
      {{"event_type", "order.created"}, {"payload", {{"a", 1}, {"b", 2}}}}, "k1", "app_b");
  EXPECT_NE(other["id"], first["id"]);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM messages"), 2);
}

TYPED_TEST(MessageStoreTest, AKeyReusedWithAnotherRequestIs422AndWritesNothing) {
  const json first = this->Publish(Order(1), "k1");
  for (const json& other : {Order(2), json{{"event_type", "order.paid"}, {"payload", {{"n", 1}}}},
                            json{{"event_type", "order.created"},
                                 {"payload", {{"n", 1}}},
                                 {"source_id", "src_0123456789ABCDEFGHJKMNPQRS"}}}) {
    auto r = this->messages_->Publish(other, "k1", "app_a");
    ASSERT_FALSE(r.ok()) << other.dump();
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField);
    EXPECT_EQ(r.status().code(), "idempotency_key_reused");
  }
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM messages"), 1);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries"), 2);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM event_types"), 1);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM status_log WHERE type = 'message.created'"), 1);
  EXPECT_EQ(this->Publish(Order(1), "k1"), first);
}

TYPED_TEST(MessageStoreTest, AKeyIsFreeAgainAfter24Hours) {
  const json first = this->Publish(Order(1), "k1");
  this->clock_.Advance(std::chrono::milliseconds(kDayMs - 1));
  EXPECT_FALSE(this->messages_->Publish(Order(2), "k1", "app_a").ok());
  this->clock_.Advance(std::chrono::milliseconds(1));
  const json second = this->Publish(Order(2), "k1");
  EXPECT_NE(second["id"], first["id"]);
  const std::string first_id = first["id"], second_id = second["id"];
  EXPECT_EQ(this->engine_.Rows("SELECT id, idempotency_key FROM messages ORDER BY seq", 2),
            first_id + "|NULL\n" + second_id + "|k1\n");
  EXPECT_EQ(this->Publish(Order(2), "k1"), second);
  EXPECT_EQ(this->Count("SELECT COUNT(*) FROM deliveries"), 4);
}

TYPED_TEST(MessageStoreTest, AnUnknownOrDeletedApplicationIs404AndWritesNothing) {
  for (const std::string app : {"app_none", "app_gone"}) {
    for (const std::optional<std::string>& key : {std::optional<std::string>(), {"k1"}}) {
      auto r = this->messages_->Publish(Order(1), key, app);
      ASSERT_FALSE(r.ok()) << app;
      EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound);
      EXPECT_EQ(r.status().message(), "no application " + app);
    }
  }
  this->ExpectNothingWritten();
}

TYPED_TEST(MessageStoreTest, AnInvalidRequestIs422AndWritesNothing) {
  const std::vector<std::pair<json, std::optional<std::string>>> bad = {
      {{{"event_type", ""}, {"payload", 1}}, std::nullopt},
      {{{"event_type", "order created"}, {"payload", 1}}, std::nullopt},
      {{{"event_type", std::string(201, 'a')}, {"payload", 1}}, std::nullopt},
      {{{"event_type", "order.created"}}, std::nullopt},
      {{{"event_type", "order.created"}, {"payload", 1}, {"extra", 1}}, std::nullopt},
      {{{"event_type", "order.created"}, {"payload", 1}, {"source_id", "nope"}}, std::nullopt},
      {Order(1), std::string(256, 'k')},
      {Order(1), std::string()}};
  for (const auto& [req, key] : bad) {
    auto r = this->messages_->Publish(req, key, "app_a");
    ASSERT_FALSE(r.ok()) << req.dump();
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField) << req.dump();
  }
  this->ExpectNothingWritten();
}

TYPED_TEST(MessageStoreTest, AMessageReadsWithItsDeliveriesAndADeliveryWithItsAttempts) {
  const json order = this->Publish(Order(1));
  const std::string id = order["id"];
  auto m = this->messages_->Get(id);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)["payload"], json({{"n", 1}}));
  EXPECT_EQ((*m)["app_id"], "app_a");
  EXPECT_TRUE((*m)["source_id"].is_null());
  ASSERT_EQ((*m)["deliveries"].size(), 2u);
  EXPECT_EQ((*m)["deliveries"][0]["endpoint_id"], "ep_a1");
  EXPECT_EQ((*m)["deliveries"][1]["endpoint_id"], "ep_a2");
  EXPECT_TRUE(this->messages_->Get(id, "app_a").ok());
  auto other = this->messages_->Get(id, "app_b");
  EXPECT_EQ(other.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(other.status().message(), "no message " + id);
  EXPECT_EQ(this->messages_->Get("msg_nope").status().kind(), ErrorKind::kNotFound);

  const std::string dlv = (*m)["deliveries"][0]["id"];
  Status s = this->engine_.Exec(
      "UPDATE deliveries SET status = 'retrying', attempts = 1, last_status = 500,"
      " last_error = 'HTTP 500' WHERE id = '" +
      dlv +
      "'; INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms,"
      " response_status, response_body, error) VALUES ('att_1', '" +
      dlv + "', 1, " + std::to_string(kNow) + ", 12, 500, 'oops', NULL)");
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto d = this->messages_->GetDelivery(dlv);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)["status"], "retrying");
  EXPECT_EQ((*d)["last_response_status"], 500);
  EXPECT_EQ((*d)["last_error"], "HTTP 500");
  ASSERT_EQ((*d)["attempts"].size(), 1u);
  EXPECT_EQ((*d)["attempts"][0]["id"], "att_1");
  EXPECT_EQ((*d)["attempts"][0]["duration_ms"], 12);
  EXPECT_EQ((*d)["attempts"][0]["response_body"], "oops");
  EXPECT_TRUE((*d)["attempts"][0]["error"].is_null());
  EXPECT_EQ(this->messages_->GetDelivery(dlv, "app_b").status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(this->messages_->GetDelivery("dlv_nope").status().message(), "no delivery dlv_nope");
}

TYPED_TEST(MessageStoreTest, TheListsFilterAndPageNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const json req = i % 2 == 0 ? Order(i) : json{{"event_type", "user.created"}, {"payload", i}};
    ids.push_back(this->Publish(req, std::nullopt, i == 4 ? "app_b" : "app_a")["id"]);
    this->clock_.Advance(std::chrono::milliseconds(1));
  }
  auto first = this->messages_->List({}, std::nullopt, 2);
  EXPECT_EQ(this->Ids(first), (std::vector<std::string>{ids[4], ids[3]}));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["next"], ids[3]);
  auto last = this->messages_->List({}, ids[1], 2);
  EXPECT_EQ(this->Ids(last), (std::vector<std::string>{ids[0]}));
  EXPECT_TRUE((*last)["next"].is_null());
  EXPECT_TRUE(this->Ids(this->messages_->List({}, "msg_unknown", 10)).empty());
  MessageFilter orders;
  orders.event_type = "order.created";
  EXPECT_EQ(this->Ids(this->messages_->List(orders, std::nullopt, 10)),
            (std::vector<std::string>{ids[4], ids[2], ids[0]}));
  orders.app_id = "app_a";
  EXPECT_EQ(this->Ids(this->messages_->List(orders, std::nullopt, 10)),
            (std::vector<std::string>{ids[2], ids[0]}));
  EXPECT_EQ(this->Ids(this->messages_->List(orders, ids[2], 10)),
            (std::vector<std::string>{ids[0]}));

  // Deliveries: ids[0] and ids[2] have two each (ep_a1, ep_a2), ids[1] and ids[3] one (ep_a1),
  // ids[4] one (ep_b1).
  auto all = this->messages_->ListDeliveries({}, std::nullopt, 100);
  ASSERT_EQ(this->Ids(all).size(), 7u);
  EXPECT_EQ((*all)["data"][0]["message_id"], ids[4]);
  EXPECT_EQ((*all)["data"][0]["event_type"], "order.created");
  EXPECT_EQ((*all)["data"][1]["event_type"], "user.created");
  DeliveryFilter of_message;
  of_message.message_id = ids[2];
  auto two = this->messages_->ListDeliveries(of_message, std::nullopt, 100);
  ASSERT_EQ(this->Ids(two).size(), 2u);
  EXPECT_EQ((*two)["data"][0]["endpoint_id"], "ep_a2");  // newest first
  DeliveryFilter of_endpoint;
  of_endpoint.endpoint_id = "ep_a2";
  EXPECT_EQ(this->Ids(this->messages_->ListDeliveries(of_endpoint, std::nullopt, 100)).size(), 2u);
  DeliveryFilter of_app;
  of_app.app_id = "app_b";
  EXPECT_EQ(this->Ids(this->messages_->ListDeliveries(of_app, std::nullopt, 100)).size(), 1u);
  DeliveryFilter pending;
  pending.status = "pending";
  auto page = this->messages_->ListDeliveries(pending, std::nullopt, 3);
  EXPECT_EQ(this->Ids(page).size(), 3u);
  ASSERT_TRUE(page.ok());
  const std::string next = (*page)["next"];
  auto rest = this->messages_->ListDeliveries(pending, next, 10);
  EXPECT_EQ(this->Ids(rest).size(), 4u);
  DeliveryFilter succeeded;
  succeeded.status = "succeeded";
  EXPECT_TRUE(this->Ids(this->messages_->ListDeliveries(succeeded, std::nullopt, 10)).empty());
  DeliveryFilter bogus;
  bogus.status = "bogus";
  EXPECT_EQ(this->messages_->ListDeliveries(bogus, std::nullopt, 10).status().kind(),
            ErrorKind::kInvalidField);
}

}  // namespace
}  // namespace hookd::testing
