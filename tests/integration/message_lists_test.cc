// The message and delivery lists through the API, as the dashboard searches them: by status,
// endpoint, message, event type and event, paged with the `after` cursor; each delivery names
// its message's event type; bad filters are 422 and list nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/scripted_receiver.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::vector<std::string> IdsOf(const json& list) {
  std::vector<std::string> ids;
  if (list.is_object())
    for (const json& d : list["data"]) ids.push_back(d["id"].get<std::string>());
  return ids;
}

// Every page of `path` (which has a query already) followed by `after`, `limit` per page.
std::vector<std::string> AllPages(TestServer& t, const std::string& path, int limit) {
  std::vector<std::string> ids;
  std::string after;
  for (int page = 0; page < 20; ++page) {
    json list = t.GetJson(path + "&limit=" + std::to_string(limit) +
                          (after.empty() ? "" : "&after=" + after));
    EXPECT_TRUE(list.is_object()) << path;
    if (!list.is_object()) break;
    EXPECT_LE(list["data"].size(), static_cast<size_t>(limit));
    for (const std::string& id : IdsOf(list)) ids.push_back(id);
    if (list["next"].is_null()) break;
    after = list["next"].get<std::string>();
  }
  return ids;
}

class MessageListsIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    rx_.Script("/down", {{503, "unavailable", {}, {}}});
    ok_ = t_.CreateEndpoint({{"url", rx_.Url("/ok")}, {"event_types", {"order.*"}}});
    down_ =
        t_.CreateEndpoint({{"url", rx_.Url("/down")}, {"event_types", {"order.*", "invoice.*"}}});
    for (int i = 0; i < 3; ++i) orders_.push_back(t_.PostMessage("order.created", {{"n", i}}));
    invoice_ = t_.PostMessage("invoice.paid", {{"n", 9}});
    // 3 orders to both endpoints, the invoice to /down only: 4 fail, 3 succeed.
    ASSERT_TRUE(WaitUntil([&] {
      return IdsOf(t_.GetJson("/api/v1/deliveries?status=failed&limit=100")).size() == 4 &&
             IdsOf(t_.GetJson("/api/v1/deliveries?status=succeeded&limit=100")).size() == 3;
    })) << t_.GetJson("/api/v1/deliveries?limit=100").dump();
  }

  std::string Id(const json& j) { return j["id"].get<std::string>(); }

  ScriptedReceiver rx_;
  TestServer t_{"", nullptr, LocalDeliverySettings({milliseconds(50)})};
  json ok_, down_, invoice_;
  std::vector<json> orders_;
};

TEST_F(MessageListsIntegration, DeliveriesFilterByStatusEndpointAndMessageAndNameTheEventType) {
  const json failed = t_.GetJson("/api/v1/deliveries?status=failed");
  ASSERT_EQ(failed["data"].size(), 4u) << failed.dump();
  EXPECT_TRUE(failed["next"].is_null());
  // Newest first: the invoice's delivery was created last.
  EXPECT_EQ(failed["data"][0]["message_id"], Id(invoice_));
  EXPECT_EQ(failed["data"][0]["event_type"], "invoice.paid");
  for (const json& d : failed["data"]) {
    EXPECT_EQ(d["status"], "failed");
    EXPECT_EQ(d["endpoint_id"], Id(down_));
  }
  EXPECT_EQ(failed["data"][1]["event_type"], "order.created");

  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/deliveries?status=failed&endpoint_id=" + Id(ok_))).empty());
  const json ok = t_.GetJson("/api/v1/deliveries?status=succeeded&endpoint_id=" + Id(ok_));
  ASSERT_EQ(ok["data"].size(), 3u);
  for (const json& d : ok["data"]) EXPECT_EQ(d["event_type"], "order.created");
  EXPECT_EQ(IdsOf(t_.GetJson("/api/v1/deliveries?endpoint_id=" + Id(down_))).size(), 4u);

  const json of_first = t_.GetJson("/api/v1/deliveries?message_id=" + Id(orders_[0]));
  ASSERT_EQ(of_first["data"].size(), 2u);
  EXPECT_EQ(IdsOf(t_.GetJson("/api/v1/deliveries?message_id=" + Id(orders_[0]) +
                             "&status=failed&endpoint_id=" + Id(down_)))
                .size(),
            1u);
  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/deliveries?status=pending")).empty());
  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/deliveries?status=retrying")).empty());
  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/deliveries?endpoint_id=ep_unknown")).empty());
}

TEST_F(MessageListsIntegration, DeliveryPagesFollowTheCursorWithoutGapsOrRepeats) {
  const std::vector<std::string> whole = IdsOf(t_.GetJson("/api/v1/deliveries?limit=100"));
  ASSERT_EQ(whole.size(), 7u);
  EXPECT_EQ(AllPages(t_, "/api/v1/deliveries?status=", 2), whole);
  const std::vector<std::string> failed = AllPages(t_, "/api/v1/deliveries?status=failed", 3);
  EXPECT_EQ(failed, IdsOf(t_.GetJson("/api/v1/deliveries?status=failed&limit=100")));
  EXPECT_EQ(std::set<std::string>(failed.begin(), failed.end()).size(), 4u);
  EXPECT_EQ(AllPages(t_, "/api/v1/deliveries?endpoint_id=" + Id(down_), 1).size(), 4u);
}

TEST_F(MessageListsIntegration, MessagesFilterByEventTypeAndPage) {
  const json invoices = t_.GetJson("/api/v1/messages?event_type=invoice.paid");
  ASSERT_EQ(IdsOf(invoices), std::vector<std::string>{Id(invoice_)});
  EXPECT_EQ(invoices["data"][0]["event_type"], "invoice.paid");
  EXPECT_EQ(AllPages(t_, "/api/v1/messages?event_type=order.created", 2),
            (std::vector<std::string>{Id(orders_[2]), Id(orders_[1]), Id(orders_[0])}));
  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/messages?event_type=order.cancelled")).empty());
  // A cursor that names no message lists nothing (rather than starting over).
  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/messages?event_type=order.created&after=msg_x")).empty());
}

TEST_F(MessageListsIntegration, MessagesOfAnEventAreFoundByItsId) {
  json src = t_.CreateSource("github", "gh-secret");
  const std::string raw = R"({"action":"opened"})";
  httplib::Headers gh = {
      {"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("gh-secret", raw))},
      {"X-GitHub-Delivery", "delivery-1"},
      {"X-GitHub-Event", "issues"}};
  auto ingest =
      t_.client().Post(src["ingest_path"].get<std::string>(), gh, raw, "application/json");
  ASSERT_TRUE(ingest);
  ASSERT_EQ(ingest->status, 202) << ingest->body;
  const std::string event_id = json::parse(ingest->body)["id"];
  json list;
  ASSERT_TRUE(WaitUntil([&] {
    list = t_.GetJson("/api/v1/messages?event_id=" + event_id);
    return list.is_object() && list["data"].size() == 1;
  })) << list.dump();
  EXPECT_EQ(list["data"][0]["event_id"], event_id);
  EXPECT_EQ(list["data"][0]["event_type"], "issues.opened");
  EXPECT_EQ(list["data"][0]["source_id"], src["id"]);
  // The event filter and the type filter together must both hold.
  EXPECT_EQ(IdsOf(t_.GetJson("/api/v1/messages?event_id=" + event_id + "&event_type=issues.opened"))
                .size(),
            1u);
  EXPECT_TRUE(
      IdsOf(t_.GetJson("/api/v1/messages?event_id=" + event_id + "&event_type=order.created"))
          .empty());
  EXPECT_TRUE(IdsOf(t_.GetJson("/api/v1/messages?event_id=evt_unknown")).empty());
}

TEST_F(MessageListsIntegration, BadFiltersAre422AndListNothing) {
  for (const std::string query :
       {"status=done", "status=FAILED", "status=failed%27%20OR%201%3D1%20--", "limit=0",
        "limit=501", "limit=x", "status=failed&limit=-1"}) {
    auto r = t_.Get("/api/v1/deliveries?" + query);
    ASSERT_TRUE(r) << query;
    EXPECT_EQ(r->status, 422) << query << " -> " << r->body;
    const json err = json::parse(r->body, nullptr, false);
    EXPECT_EQ(err["error"]["code"], "invalid_field") << r->body;
    EXPECT_FALSE(err.contains("data")) << r->body;
  }
  auto r = t_.Get("/api/v1/messages?event_type=order.created&limit=0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  // Without the admin token nothing is listed.
  auto anon = t_.client().Get("/api/v1/deliveries?status=failed");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
}

}  // namespace
}  // namespace hookd::testing
