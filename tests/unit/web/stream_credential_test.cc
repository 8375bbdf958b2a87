// A stream is bound to the credential that opened it: when that session is revoked or expires,
// the open SSE stream ends with `: dropped unauthorized` within a recheck interval and gets no
// entry after it, and a waiting long-poll is answered 401. Real loopback sockets, the io_context
// driven by the test, the sessions and AdminAccess of production with an in-memory store and a fake
// clock.
#include <atomic>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "common/admin_auth.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/random.h"
#include "tests/unit/web/fake_session_store.h"
#include "tests/unit/web/fake_status_source.h"
#include "tests/unit/web/loopback_sockets.h"
#include "web/admin_access.h"
#include "web/long_poll.h"
#include "web/sessions.h"
#include "web/sse_session.h"

namespace hookd {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using testing::ReadAvailable;

class StreamCredentialTest : public ::testing::Test {
 protected:
  StreamCredentialTest()
      : hub(source),
        clock(1'700'000'000'000),
        random(3),
        auth("admin-token-admin-token-admin"),
        sessions(store, clock, random, Sessions::TokenFingerprint(auth.token())),
        throttle(clock),
        access(auth, sessions, throttle) {
    limits.credential_recheck = milliseconds(50);
    limits.drop_grace = milliseconds(50);
    ctx = std::make_unique<StreamContext>(
        hub, metrics, [this](const HttpRequest& r) { return access.Check(r); },
        std::vector<std::string>{}, limits);
    ctx->SetRecheck([this](const HttpRequest& r) { return access.Recheck(r); });
    EXPECT_TRUE(hub.PollOnce().ok());
  }

  // An SSE stream opened with `req`'s credential; returns the client end.
  tcp::socket Open(const HttpRequest& req) {
    auto [client, server] = testing::LoopbackPair(ioc);
    auto session = SseSession::Create(std::move(server), *ctx, {}, {}, ConnectionSlot());
    session->BindCredential(ctx->BindCredential(req));
    asio::post(ioc, [session] { session->Start(); });
    ioc.run_for(milliseconds(20));
    return std::move(client);
  }
  void Publish(const std::string& id) {
    source.Append("message.created", {{"message_id", id}});
    ASSERT_TRUE(hub.PollOnce().ok());
    ioc.run_for(milliseconds(20));
  }
  HttpRequest WithCookie(const std::string& value) {
    HttpRequest req;
    req.headers.Add("Cookie", "hookd_session=" + value);
    return req;
  }

  FakeStatusSource source;
  StatusHub hub;
  Metrics metrics;
  StreamLimits limits;
  FakeClock clock;
  SeededRandom random;
  testing::FakeSessionStore store;
  AdminAuth auth;
  Sessions sessions;
  AuthThrottle throttle;
  AdminAccess access;
  std::unique_ptr<StreamContext> ctx;
  asio::io_context ioc;  // last: destroyed first
};

TEST_F(StreamCredentialTest, ReproducesStreamsOutliveTheirSessionARevokedSessionEndsItsStream) {
  auto session = sessions.Create();
  ASSERT_TRUE(session.ok());
  tcp::socket kept = Open(WithCookie(session->value));
  auto other = sessions.Create();  // another browser's session stays signed in
  ASSERT_TRUE(other.ok());
  tcp::socket others = Open(WithCookie(other->value));
  Publish("msg_before");
  ASSERT_TRUE(sessions.Revoke(session->value).ok());  // DELETE /api/v1/session
  ioc.run_for(milliseconds(200));                     // a few recheck intervals
  Publish("msg_after");
  ioc.run_for(milliseconds(100));
  bool closed = false;
  const std::string got = ReadAvailable(kept, &closed);
  EXPECT_NE(got.find("msg_before"), std::string::npos) << got;
  EXPECT_EQ(got.find("msg_after"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with(": dropped unauthorized\n\n")) << got;
  EXPECT_TRUE(closed);
  bool others_closed = false;
  const std::string others_got = ReadAvailable(others, &others_closed);
  EXPECT_NE(others_got.find("msg_after"), std::string::npos) << others_got;
  EXPECT_FALSE(others_closed);
}

TEST_F(StreamCredentialTest, ASessionPastItsAbsoluteAgeEndsItsStream) {
  auto session = sessions.Create();
  ASSERT_TRUE(session.ok());
  tcp::socket client = Open(WithCookie(session->value));
  // The browser keeps using the session (every 11 h, within the 12 h idle limit) up to just
  // before its 7-day absolute age: the stream stays open.
  const auto step = std::chrono::hours(11);
  std::chrono::milliseconds elapsed{0};
  while (elapsed + step < sessions.options().max_age) {
    clock.Advance(step);
    elapsed += step;
    ASSERT_TRUE(sessions.Validate(session->value).ok());
  }
  ioc.run_for(milliseconds(200));
  Publish("msg_young");
  clock.Advance(step);  // past the absolute age, 11 h after the last use
  ioc.run_for(milliseconds(200));
  Publish("msg_old");
  bool closed = false;
  const std::string got = ReadAvailable(client, &closed);
  EXPECT_NE(got.find("msg_young"), std::string::npos) << got;
  EXPECT_EQ(got.find("msg_old"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with(": dropped unauthorized\n\n")) << got;
  EXPECT_TRUE(closed);
}

TEST_F(StreamCredentialTest, TheBearerTokenKeepsItsStreamOpen) {
  HttpRequest req;
  req.headers.Add("Authorization", "Bearer " + auth.token());
  tcp::socket client = Open(req);
  ioc.run_for(milliseconds(300));
  Publish("msg_1");
  bool closed = false;
  const std::string got = ReadAvailable(client, &closed);
  EXPECT_NE(got.find("msg_1"), std::string::npos) << got;
  EXPECT_FALSE(closed);
}

// A long-poll waiting for entries is answered 401 within a recheck interval of its credential
// being revoked, not when its timeout passes; one whose credential stays valid keeps waiting.
TEST_F(StreamCredentialTest, AWaitingLongPollIsAnswered401SoonAfterItsCredentialIsRevoked) {
  std::atomic<bool> revoked{false};
  std::optional<HttpResponse> revoked_answer, kept_answer;
  StreamQuery query;
  query.timeout = std::chrono::seconds(30);
  auto poll = [&](CredentialCheck check, std::optional<HttpResponse>& out) {
    LongPoll::Create(*ctx, ioc.get_executor(), query, std::move(check), [&out](HttpResponse r) {
      out = std::move(r);
    })->Start();
  };
  poll([&] { return revoked ? Status::Unauthenticated("unauthorized", "revoked") : Status::Ok(); },
       revoked_answer);
  poll([] { return Status::Ok(); }, kept_answer);
  ioc.run_for(milliseconds(150));
  EXPECT_FALSE(revoked_answer.has_value());
  revoked = true;
  ioc.run_for(milliseconds(150));  // three recheck intervals
  ASSERT_TRUE(revoked_answer.has_value());
  EXPECT_EQ(revoked_answer->status, 401);
  EXPECT_FALSE(kept_answer.has_value()) << "a valid credential keeps its poll waiting";
  EXPECT_EQ(hub.subscriber_count(), 1u) << "the revoked poll detached from the hub";
  // An entry now goes to the kept poll only.
  Publish("msg_after");
  ASSERT_TRUE(kept_answer.has_value());
  EXPECT_NE(kept_answer->body.find("msg_after"), std::string::npos);
}

}  // namespace
}  // namespace hookd
