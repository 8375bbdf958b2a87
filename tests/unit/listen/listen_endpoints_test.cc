// The server's side of `hookd listen` below the socket: CliTunnels (which command serves which
// endpoint, and since when none does), TunnelingSender (a cli endpoint's attempt never goes out
// over HTTP) and ListenEndpoints (opening, resuming, scoping to an application, removing with the
// waiting deliveries made due, reaping after the grace) against a real SQLite database.
#include "listen/listen_endpoints.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "apps/application_store.h"
#include "tests/testing/fake_resolver.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using namespace std::chrono_literals;

class RecordingSender final : public AsyncSender {
 public:
  void SendAsync(OutboundRequest request, std::chrono::milliseconds, Done done) override {
    sent.push_back(std::move(request));
    SendResult r;
    r.status = 204;
    done(std::move(r));
  }
  std::vector<OutboundRequest> sent;
};

class RecordingTunnel final : public CliTunnel {
 public:
  void Deliver(OutboundRequest request, std::chrono::milliseconds,
               AsyncSender::Done done) override {
    got.push_back(std::move(request));
    SendResult r;
    r.status = 200;
    done(std::move(r));
  }
  std::vector<OutboundRequest> got;
};

TEST(CliTunnelsTest, AttachDetachAndTheGrace) {
  FakeClock clock(1'000'000);
  CliTunnels tunnels(clock);
  auto a = std::make_shared<RecordingTunnel>();
  auto b = std::make_shared<RecordingTunnel>();
  tunnels.Attach("ep_1", a);
  EXPECT_EQ(tunnels.Find("ep_1"), a);
  tunnels.Attach("ep_1", b);        // the command reconnected
  tunnels.Detach("ep_1", a.get());  // the old socket's end changes nothing
  EXPECT_EQ(tunnels.Find("ep_1"), b);
  EXPECT_TRUE(tunnels.DetachedLongerThan(1s, clock.NowUnixMillis() + 10'000).empty());
  tunnels.Detach("ep_1", b.get());
  EXPECT_EQ(tunnels.Find("ep_1"), nullptr);
  EXPECT_TRUE(tunnels.DetachedLongerThan(60s, clock.NowUnixMillis() + 60'000).empty());
  EXPECT_EQ(tunnels.DetachedLongerThan(60s, clock.NowUnixMillis() + 60'001),
            std::vector<std::string>{"ep_1"});
  tunnels.NoteDetached("ep_2");
  tunnels.Attach("ep_3", a);
  tunnels.NoteDetached("ep_3");  // attached: stays attached
  EXPECT_EQ(tunnels.Find("ep_3"), a);
  EXPECT_EQ(tunnels.attached(), 1u);
  tunnels.Forget("ep_1");
  EXPECT_EQ(tunnels.DetachedLongerThan(1s, clock.NowUnixMillis() + 5000),
            std::vector<std::string>{"ep_2"});
}

TEST(TunnelingSenderTest, ACliAttemptGoesToItsTunnelAndNeverOverHttp) {
  FakeClock clock;
  CliTunnels tunnels(clock);
  RecordingSender http;
  TunnelingSender sender(http, tunnels, "hookd/test");
  std::vector<SendResult> results;
  auto done = [&results](SendResult r) { results.push_back(std::move(r)); };

  OutboundRequest plain;
  plain.endpoint_id = "ep_http";
  sender.SendAsync(plain, 1s, done);
  ASSERT_EQ(http.sent.size(), 1u);

  OutboundRequest cli;
  cli.endpoint_id = "ep_cli";
  cli.cli = true;
  cli.body = "{}";
  sender.SendAsync(cli, 1s, done);  // no command connected
  EXPECT_EQ(http.sent.size(), 1u);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].not_connected);
  EXPECT_FALSE(results[1].local_failure);  // nobody's failure: not logged, not alerted on
  EXPECT_EQ(results[1].status, 0);

  auto tunnel = std::make_shared<RecordingTunnel>();
  tunnels.Attach("ep_cli", tunnel);
  sender.SendAsync(cli, 1s, done);
  EXPECT_EQ(http.sent.size(), 1u);
  ASSERT_EQ(tunnel->got.size(), 1u);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2].status, 200);
  const auto& h = tunnel->got[0].headers;
  EXPECT_NE(std::find(h.begin(), h.end(),
                      std::pair<std::string, std::string>("content-type", "application/json")),
            h.end());
  EXPECT_NE(std::find(h.begin(), h.end(),
                      std::pair<std::string, std::string>("user-agent", "hookd/test")),
            h.end());
}

class ListenEndpointsTest : public ::testing::Test {
 protected:
  ListenHello Hello(std::string forward_to = "http://127.0.0.1:3000/hooks") {
    ListenHello h;
    h.forward_to = std::move(forward_to);
    return h;
  }
  int64_t Int(const std::string& sql) {
    auto db = pool_->Acquire();
    auto st = (*db)->Prepare(sql);
    EXPECT_TRUE(st.ok()) << sql;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return st->IsNull(0) ? -1 : st->Int(0);
  }
  void Exec(const std::string& sql) {
    auto db = pool_->Acquire();
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
  FakeClock clock_{1'790'000'000'000};
  SeededRandom random_{7};
  testing::FakeResolver resolver_{{}};
  SsrfGuard guard_{resolver_, /*allow_private=*/false};
  EndpointStore store_{*pool_};
  EndpointCache cache_{store_, clock_};
  EndpointService service_{store_, cache_, guard_, *pool_, clock_, random_};
  ApplicationStore apps_{*pool_, clock_, random_};
  CliTunnels tunnels_{clock_};
  int wakes_ = 0;
  ListenEndpoints listen_{
      service_, apps_, tunnels_, *pool_, clock_, 60s, [this] { ++wakes_; }, Logger::Discard()};
};

TEST_F(ListenEndpointsTest, OpensACliEndpointOnALocalUrlThatAnHttpEndpointMayNotHave) {
  ListenHello h = Hello();
  h.events = {"order.*"};
  h.source_ids = {"src_01J0000000000000000000000A"};
  auto opened = listen_.Open(h, std::nullopt);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_FALSE(opened->resumed);
  EXPECT_EQ(opened->endpoint.kind, "cli");
  EXPECT_EQ(opened->endpoint.app_id, kDefaultAppId);
  auto stored = service_.Get(opened->endpoint.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->kind, "cli");
  EXPECT_EQ(stored->url, "http://127.0.0.1:3000/hooks");
  EXPECT_EQ(stored->filter.event_types, h.events);
  EXPECT_EQ(stored->secret.rfind("whsec_", 0), 0u);
  // The same URL as an http endpoint is refused: hookd would dial it.
  auto http = service_.Create({{"url", "http://127.0.0.1:3000/hooks"}});
  EXPECT_FALSE(http.ok());
  // Bad input: nothing made.
  EXPECT_EQ(listen_.Open(Hello("ftp://x/"), std::nullopt).status().code(), "invalid_url");
  ListenHello bad = Hello();
  bad.events = {"a b"};
  EXPECT_FALSE(listen_.Open(bad, std::nullopt).ok());
  EXPECT_EQ(Int("SELECT COUNT(*) FROM endpoints"), 1);
}

TEST_F(ListenEndpointsTest, ResumesOnlyItsOwnApplicationsCliEndpoint) {
  auto first = listen_.Open(Hello(), std::nullopt);
  ASSERT_TRUE(first.ok());
  ListenHello again = Hello();
  again.endpoint_id = first->endpoint.id;
  auto resumed = listen_.Open(again, std::nullopt);
  ASSERT_TRUE(resumed.ok());
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->endpoint.id, first->endpoint.id);
  EXPECT_EQ(resumed->endpoint.secret, first->endpoint.secret);

  auto acme = apps_.Create({"Acme", std::optional<std::string>("acme"), std::nullopt});
  ASSERT_TRUE(acme.ok());
  // Another application's credential naming this endpoint gets a new one of its own.
  auto other = listen_.Open(again, acme->id);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->resumed);
  EXPECT_NE(other->endpoint.id, first->endpoint.id);
  EXPECT_EQ(other->endpoint.app_id, acme->id);
  // An http endpoint is never resumed as a cli one.
  auto http = service_.Create({{"url", "https://93.184.216.34/x"}});
  ASSERT_TRUE(http.ok());
  again.endpoint_id = http->id;
  auto fresh = listen_.Open(again, std::nullopt);
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->endpoint.id, http->id);
}

TEST_F(ListenEndpointsTest, AnApplicationCredentialReachesItsOwnApplicationOnly) {
  auto acme = apps_.Create({"Acme", std::optional<std::string>("acme"), std::nullopt});
  auto beta = apps_.Create({"Beta", std::optional<std::string>("beta"), std::nullopt});
  ASSERT_TRUE(acme.ok() && beta.ok());
  ListenHello h = Hello();
  h.app = "beta";
  EXPECT_EQ(listen_.Open(h, acme->id).status().kind(), ErrorKind::kForbidden);
  h.app = "nope";
  EXPECT_EQ(listen_.Open(h, acme->id).status().kind(), ErrorKind::kForbidden);  // says nothing
  EXPECT_EQ(listen_.Open(h, std::nullopt).status().kind(), ErrorKind::kNotFound);
  h.app = "acme";
  auto mine = listen_.Open(h, acme->id);
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->endpoint.app_id, acme->id);
  h.app = "beta";
  auto admin = listen_.Open(h, std::nullopt);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->endpoint.app_id, beta->id);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM endpoints"), 2);
}

TEST_F(ListenEndpointsTest, RemovingMakesWaitingDeliveriesDueAndLeavesClaimedOnes) {
  auto opened = listen_.Open(Hello(), std::nullopt);
  ASSERT_TRUE(opened.ok());
  const std::string ep = opened->endpoint.id;
  const int64_t now = clock_.NowUnixMillis();
  const std::string later = std::to_string(now + 3'600'000);
  Exec(
      "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at, lease_until,"
      " created_at, updated_at) VALUES"
      " ('dlv_wait', 'msg_1', '" +
      ep + "', 'retrying', " + later +
      ", NULL, 1, 1),"
      " ('dlv_held', 'msg_2', '" +
      ep + "', 'pending', " + later + ", " + later +
      ", 1, 1),"
      " ('dlv_done', 'msg_3', '" +
      ep +
      "', 'succeeded', NULL, NULL, 1, 1),"
      " ('dlv_other', 'msg_4', 'ep_other', 'retrying', " +
      later + ", NULL, 1, 1)");
  auto removed = listen_.Remove(ep);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(wakes_, 1);
  EXPECT_EQ(Int("SELECT next_attempt_at FROM deliveries WHERE id = 'dlv_wait'"), now);
  EXPECT_EQ(Int("SELECT next_attempt_at FROM deliveries WHERE id = 'dlv_held'"), now + 3'600'000);
  EXPECT_EQ(Int("SELECT next_attempt_at FROM deliveries WHERE id = 'dlv_other'"), now + 3'600'000);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM endpoints"), 0);
  // An http endpoint is never removed this way, and its deliveries stay as they are.
  auto http = service_.Create({{"url", "https://93.184.216.34/x"}});
  ASSERT_TRUE(http.ok());
  Exec("UPDATE deliveries SET endpoint_id = '" + http->id + "' WHERE id = 'dlv_other'");
  auto refused = listen_.Remove(http->id);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(*refused, 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM endpoints"), 1);
  EXPECT_EQ(Int("SELECT next_attempt_at FROM deliveries WHERE id = 'dlv_other'"), now + 3'600'000);
}

TEST_F(ListenEndpointsTest, ReapsWhatNoCommandServedForTheGrace) {
  auto served = listen_.Open(Hello(), std::nullopt);
  auto left = listen_.Open(Hello(), std::nullopt);
  ASSERT_TRUE(served.ok() && left.ok());
  auto tunnel = std::make_shared<RecordingTunnel>();
  tunnels_.Attach(served->endpoint.id, tunnel);
  tunnels_.Attach(left->endpoint.id, tunnel);
  tunnels_.Detach(left->endpoint.id, tunnel.get());
  clock_.Advance(60s);
  listen_.Reap();
  EXPECT_EQ(Int("SELECT COUNT(*) FROM endpoints"), 2);  // not longer than the grace yet
  clock_.Advance(1ms);
  listen_.Reap();
  EXPECT_TRUE(service_.Get(served->endpoint.id).ok());
  EXPECT_FALSE(service_.Get(left->endpoint.id).ok());
  // After a restart: every cli endpoint in the database gets the grace from now.
  CliTunnels fresh(clock_);
  ListenEndpoints restarted(service_, apps_, fresh, *pool_, clock_, 60s, nullptr,
                            Logger::Discard());
  ASSERT_TRUE(restarted.NoteExisting().ok());
  clock_.Advance(61s);
  restarted.Reap();
  EXPECT_EQ(Int("SELECT COUNT(*) FROM endpoints"), 0);
}

}  // namespace
}  // namespace hookd
