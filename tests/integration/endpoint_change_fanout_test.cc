// Fan-out against an endpoint snapshot older than the database: endpoints changed by another
// connection (as the delivery engine disables one on a 410, or another process edits one), with
// this process's endpoint cache neither invalidated nor expired (a fake clock holds its TTL).
// Both fan-out paths are covered: POST /api/v1/messages and an ingested event.
#include <gtest/gtest.h>

#include <string>

#include "common/crypto.h"
#include "common/db.h"
#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"

namespace hookd::testing {
namespace {

using nlohmann::json;

class EndpointChangeFanout : public ::testing::Test {
 protected:
  EndpointChangeFanout() {
    Settings settings = LocalDeliverySettings();
    settings.roles = {"ingest", "api"};  // no engine: nothing else touches the cache
    t_ = std::make_unique<TestServer>("", nullptr, settings, &clock_);
    source_ = t_->CreateSource("github", "s3cret");
    endpoint_ = t_->CreateEndpoint({{"url", "http://127.0.0.1:9/hook"}})["id"];
    auto db = Db::Open(t_->data_dir() + "/hookd.db", DbOptions{});
    if (!db.ok()) throw std::runtime_error(db.status().ToString());
    db_ = std::move(db).value();
  }

  // Changes the endpoint behind the server's back: its cache still holds the old row.
  void Sql(const std::string& sql) {
    Status s = db_->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The deliveries of a message published now.
  int Published(const std::string& type = "order.created") {
    return t_->PostMessage(type, {{"n", ++n_}})["deliveries"].get<int>();
  }

  // The deliveries made for an event ingested now (its message's, counted in the database).
  int64_t Ingested() {
    const std::string body = R"({"n":)" + std::to_string(++n_) + "}";
    httplib::Headers h = {
        {"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("s3cret", body))},
        {"X-GitHub-Delivery", "d-" + std::to_string(n_)},
        {"X-GitHub-Event", "push"}};
    auto r =
        t_->client().Post(source_["ingest_path"].get<std::string>(), h, body, "application/json");
    if (!r || r->status != 202) {
      ADD_FAILURE() << "ingest: " << (r ? r->body : "no response");
      return -1;
    }
    auto st = db_->Prepare(
        "SELECT COUNT(d.id) FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id"
        " WHERE m.event_id = ?");
    EXPECT_TRUE(st.ok());
    st->Bind(1, json::parse(r->body)["id"].get<std::string>());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->Int(0);
  }

  FakeClock clock_{1'790'000'000'000};
  std::unique_ptr<TestServer> t_;
  json source_;
  std::string endpoint_;
  std::unique_ptr<Db> db_;
  int n_ = 0;
};

// The first fan-out after a change reloads the shared snapshot for the next one, so each change
// is checked first by one path and then by the other, the first path alternating: each path is
// on its own the first to meet some change.
TEST_F(EndpointChangeFanout, AnEndpointDisabledInTheDatabaseGetsNoDeliveryAtOnce) {
  ASSERT_EQ(Published(), 1);  // the cache now holds the endpoint, enabled
  ASSERT_EQ(Ingested(), 1);
  Sql("UPDATE endpoints SET disabled = 1, disabled_reason = 'gone' WHERE id = '" + endpoint_ + "'");
  EXPECT_EQ(Published(), 0) << "published after the disable committed";
  EXPECT_EQ(Ingested(), 0) << "ingested after the disable committed";
  Sql("UPDATE endpoints SET disabled = 0, disabled_reason = NULL WHERE id = '" + endpoint_ + "'");
  EXPECT_EQ(Ingested(), 1) << "ingested after the enable committed";
  EXPECT_EQ(Published(), 1) << "published after the enable committed";
  Sql("UPDATE endpoints SET disabled = 1, disabled_reason = 'gone' WHERE id = '" + endpoint_ + "'");
  EXPECT_EQ(Ingested(), 0) << "ingested after the second disable committed";
  EXPECT_EQ(Published(), 0) << "published after the second disable committed";
}

TEST_F(EndpointChangeFanout, DeletedAddedAndResubscribedEndpointsAreSeenAtOnce) {
  ASSERT_EQ(Published(), 1);
  Sql("UPDATE endpoints SET event_types = '[\"invoice.paid\"]' WHERE id = '" + endpoint_ + "'");
  EXPECT_EQ(Ingested(), 0) << "no longer subscribed to push";
  EXPECT_EQ(Published("order.created"), 0) << "no longer subscribed";
  EXPECT_EQ(Published("invoice.paid"), 1);
  Sql("INSERT INTO endpoints (id, url, secret, created_at, updated_at)"
      " SELECT 'ep_other', url, secret, created_at, updated_at FROM endpoints");
  EXPECT_EQ(Published("order.created"), 1) << "the added endpoint";
  EXPECT_EQ(Ingested(), 1) << "the added endpoint";
  Sql("DELETE FROM endpoints WHERE id = 'ep_other'");
  EXPECT_EQ(Ingested(), 0) << "deleted";
  EXPECT_EQ(Published("order.created"), 0) << "deleted";
}

}  // namespace
}  // namespace hookd::testing
