// Outbound delivery end to end inside the process: a real hookd server (port 0, real SQLite file)
// delivering to an in-process receiver (an httplib::Server on 127.0.0.1 port 0) that is scripted
// per path and records every request. States are awaited by polling the admin API with a
// deadline; timings are measured where the requests arrive.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "common/db.h"
#include "common/status_log.h"
#include "common/time_format.h"
#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/scripted_receiver.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Clocks and rounding (the engine uses the system clock, the receiver the steady clock).
constexpr milliseconds kEarlySlack{10};

// The only delivery of message `msg_id` (empty when there is not exactly one).
std::string OnlyDelivery(TestServer& t, const std::string& msg_id) {
  json m = t.GetJson("/api/v1/messages/" + msg_id);
  if (!m.is_object() || m["deliveries"].size() != 1) return "";
  return m["deliveries"][0]["id"];
}

// Waits for delivery `id` to reach `status` with at least `attempts` attempts listed, and
// returns it; the last state seen when it does not.
json WaitDelivery(TestServer& t, const std::string& id, const std::string& status,
                  size_t attempts = 1) {
  json d;
  const bool ok = WaitUntil([&] {
    d = t.GetJson("/api/v1/deliveries/" + id);
    return d.is_object() && d["status"] == status && d["attempts"].size() >= attempts;
  });
  EXPECT_TRUE(ok) << "delivery " << id << " never reached " << status << " with " << attempts
                  << " attempts; last seen: " << d.dump();
  return d;
}

int64_t Millis(steady_clock::duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

// "v1,<base64 HMAC-SHA256(base64-decoded secret after whsec_, "<id>.<ts>.<body>")>".
std::string ExpectedSignature(const std::string& secret, const Received& r) {
  auto key = Base64Decode(secret.substr(std::string("whsec_").size()));
  if (!key) return "<undecodable secret>";
  const std::string signed_text =
      r.Header("webhook-id") + "." + r.Header("webhook-timestamp") + "." + r.body;
  return "v1," + Base64Encode(HmacSha256(*key, signed_text));
}

std::set<std::string> SplitSpaces(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  for (std::string part; in >> part;) out.insert(part);
  return out;
}

std::vector<StatusEntry> StatusLogFor(TestServer& t, const std::string& key,
                                      const std::string& id) {
  std::vector<StatusEntry> out;
  auto db = Db::Open(t.data_dir() + "/hookd.db", DbOptions{});
  EXPECT_TRUE(db.ok());
  if (!db.ok()) return out;
  auto entries = ReadStatusAfter(**db, 0, 10000);
  EXPECT_TRUE(entries.ok());
  if (!entries.ok()) return out;
  for (StatusEntry& e : *entries)
    if (e.data.contains(key) && e.data[key] == id) out.push_back(std::move(e));
  return out;
}

class DeliveryIntegration : public ::testing::Test {
 protected:
  // Writes to a socket the other side closed (a cut-off attempt) must not kill the test binary.
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }
};

// Moves `clock` to `due` - 1 ms and checks that no attempt starts, then to `due` and waits for
// the attempt: a retry starts when it is due on the engine's clock, not before.
void ExpectAttemptExactlyWhenDue(TestServer& t, FakeClock& clock, ScriptedReceiver& rx,
                                 const std::string& path, int64_t due, size_t attempts_before) {
  clock.Advance(milliseconds(due - 1 - clock.NowUnixMillis()));
  t.server().WakeDelivery();
  // Only a false pass is possible here on a slow machine, never a false failure.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(rx.Requests(path).size(), attempts_before) << "an attempt started before it was due";
  clock.Advance(milliseconds(1));
  t.server().WakeDelivery();
  EXPECT_TRUE(WaitUntil([&] { return rx.Requests(path).size() == attempts_before + 1; }))
      << "the attempt due now did not start";
}

int64_t MillisOf(const json& rfc3339) {
  return rfc3339.is_string() ? ParseRfc3339(rfc3339.get<std::string>()).value_or(-1) : -1;
}

// Case 1: 500, 500, 200 → three attempts with one webhook-id. On a fake clock: each retry is due
// the schedule's delay ±20% after the failed attempt, and starts exactly then.
TEST_F(DeliveryIntegration, RetriesOnServerErrorsWithTheSameIdAndScheduledSpacing) {
  ScriptedReceiver rx;  // outlives the server, whose pooled connections close first
  rx.Script("/flaky", {{500, "e1", {}, {}}, {500, "e2", {}, {}}, {200, "done", {}, {}}});
  const milliseconds delay(30'000);  // fake time: a long delay costs nothing
  FakeClock clock(1'767'225'600'000);
  TestServer t("", nullptr, LocalDeliverySettings({delay, delay}), &clock);
  json ep = t.CreateEndpoint({{"url", rx.Url("/flaky")}});
  json msg = t.PostMessage("invoice.paid", {{"amount", 42}});
  EXPECT_EQ(msg["deliveries"], 1);
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  for (size_t failed = 1; failed <= 2; ++failed) {
    json d = WaitDelivery(t, dlv, "retrying", failed);
    ASSERT_EQ(d["attempts"].size(), failed) << d.dump();
    const int64_t failed_at = MillisOf(d["attempts"][failed - 1]["started_at"]);
    const int64_t due = MillisOf(d["next_attempt_at"]);
    EXPECT_GE(due - failed_at, delay.count() * 8 / 10) << d.dump();
    EXPECT_LE(due - failed_at, delay.count() * 12 / 10) << d.dump();
    ExpectAttemptExactlyWhenDue(t, clock, rx, "/flaky", due, failed);
    json after = WaitDelivery(t, dlv, failed == 2 ? "succeeded" : "retrying", failed + 1);
    EXPECT_EQ(MillisOf(after["attempts"][failed]["started_at"]), due) << after.dump();
  }

  json d = WaitDelivery(t, dlv, "succeeded", 3);
  EXPECT_EQ(d["attempts"].size(), 3u) << d.dump();
  EXPECT_EQ(d["endpoint_id"], ep["id"]);
  EXPECT_EQ(d["message_id"], msg["id"]);
  EXPECT_TRUE(d["next_attempt_at"].is_null());
  EXPECT_EQ(d["last_response_status"], 200);
  const std::vector<int> statuses = {500, 500, 200};
  const std::vector<std::string> bodies = {"e1", "e2", "done"};
  for (size_t i = 0; i < d["attempts"].size() && i < 3; ++i) {
    const json& a = d["attempts"][i];
    EXPECT_EQ(a["number"], i + 1);
    ASSERT_TRUE(a["duration_ms"].is_number_integer());
    EXPECT_GE(a["duration_ms"].get<int64_t>(), 0);
    EXPECT_EQ(a["response_status"], statuses[i]);
    EXPECT_EQ(a["response_body"], bodies[i]);
    EXPECT_TRUE(a["error"].is_null()) << a.dump();
  }
  auto reqs = rx.Requests("/flaky");
  ASSERT_EQ(reqs.size(), 3u);
  for (const Received& r : reqs) {
    EXPECT_EQ(r.Header("webhook-id"), msg["id"].get<std::string>());
    EXPECT_EQ(json::parse(r.body), json({{"amount", 42}}));
  }
}

// Case 2: a receiver that hangs past the delivery timeout is cut at the deadline and retried.
TEST_F(DeliveryIntegration, HangingReceiverIsCutAtTheTimeoutAndRetried) {
  ScriptedReceiver rx;
  rx.Script("/slow", {{200, "late", {}, milliseconds(3000)}, {200, "fast", {}, {}}});
  const milliseconds timeout(500);
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}, timeout));
  t.CreateEndpoint({{"url", rx.Url("/slow")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  json d = WaitDelivery(t, dlv, "succeeded", 2);
  ASSERT_EQ(d["attempts"].size(), 2u) << d.dump();
  const json& cut = d["attempts"][0];
  EXPECT_TRUE(cut["response_status"].is_null()) << cut.dump();
  ASSERT_TRUE(cut["error"].is_string()) << cut.dump();
  EXPECT_FALSE(cut["error"].get<std::string>().empty());
  const int64_t duration = cut["duration_ms"].get<int64_t>();
  EXPECT_GE(duration, timeout.count() - 20);
  // The cut is about real time; the margin holds on a loaded machine.
  EXPECT_LE(duration, timeout.count() + 1000);
  EXPECT_EQ(d["attempts"][1]["response_status"], 200);
  EXPECT_EQ(d["attempts"][1]["response_body"], "fast");

  auto reqs = rx.Requests("/slow");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Header("webhook-id"), reqs[1].Header("webhook-id"));
  // The retry waited for the cut-off attempt (timeout) and then the scheduled delay (200 ms ±20%).
  EXPECT_GE(Millis(reqs[1].at - reqs[0].at), Millis(timeout + milliseconds(160) - kEarlySlack));
}

// Case 3: a redirect is not followed and counts as a failed attempt.
TEST_F(DeliveryIntegration, RedirectIsNotFollowedAndCountsAsFailure) {
  ScriptedReceiver rx;
  rx.Script("/moved", {{302, "", {{"Location", rx.Url("/elsewhere")}}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}));
  t.CreateEndpoint({{"url", rx.Url("/moved")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  json d = WaitDelivery(t, dlv, "failed", 2);
  ASSERT_EQ(d["attempts"].size(), 2u) << d.dump();
  for (const json& a : d["attempts"]) EXPECT_EQ(a["response_status"], 302) << a.dump();
  EXPECT_EQ(d["last_response_status"], 302);
  EXPECT_EQ(rx.Count("/moved"), 2u);
  EXPECT_EQ(rx.Count("/elsewhere"), 0u);
}

// Case 4: always 503 → failed after the last scheduled attempt, kept, and retryable by hand.
TEST_F(DeliveryIntegration, FailedDeliveryIsKeptAndManualRetrySucceeds) {
  ScriptedReceiver rx;
  rx.Script("/down", {{503, "unavailable", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200), milliseconds(200)}));
  json ep = t.CreateEndpoint({{"url", rx.Url("/down")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  json d = WaitDelivery(t, dlv, "failed", 3);
  ASSERT_EQ(d["attempts"].size(), 3u) << d.dump();
  for (const json& a : d["attempts"]) EXPECT_EQ(a["response_status"], 503);
  EXPECT_TRUE(d["next_attempt_at"].is_null());
  EXPECT_EQ(rx.Count("/down"), 3u);
  json failed =
      t.GetJson("/api/v1/deliveries?status=failed&endpoint_id=" + ep["id"].get<std::string>());
  ASSERT_TRUE(failed.is_object());
  ASSERT_EQ(failed["data"].size(), 1u);
  EXPECT_EQ(failed["data"][0]["id"], dlv);

  rx.Script("/down", {{200, "back", {}, {}}});
  auto retry = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 202) << retry->body;
  d = WaitDelivery(t, dlv, "succeeded", 4);
  ASSERT_EQ(d["attempts"].size(), 4u) << d.dump();
  EXPECT_EQ(d["attempts"][3]["number"], 4);
  EXPECT_EQ(d["attempts"][3]["response_status"], 200);
  auto reqs = rx.Requests("/down");
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[3].Header("webhook-id"), msg["id"].get<std::string>());
}

// recover {since}: failed deliveries of the endpoint created since then are queued again; older
// ones and other endpoints' stay failed; bad input changes nothing.
TEST_F(DeliveryIntegration, RecoverRequeuesFailedDeliveriesSinceTheGivenTime) {
  ScriptedReceiver rx;
  rx.Script("/down", {{503, "unavailable", {}, {}}});
  rx.Script("/other", {{503, "unavailable", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(100)}));
  json ep = t.CreateEndpoint({{"url", rx.Url("/down")}, {"event_types", {"order.*"}}});
  t.CreateEndpoint({{"url", rx.Url("/other")}, {"event_types", {"other.*"}}});
  const std::string ep_id = ep["id"];
  json old_msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string old_dlv = OnlyDelivery(t, old_msg["id"]);
  WaitDelivery(t, old_dlv, "failed", 2);
  std::this_thread::sleep_for(milliseconds(20));
  const std::string since = FormatRfc3339(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  json new_msg = t.PostMessage("order.created", {{"n", 2}});
  const std::string new_dlv = OnlyDelivery(t, new_msg["id"]);
  json other_msg = t.PostMessage("other.thing", {{"n", 3}});
  const std::string other_dlv = OnlyDelivery(t, other_msg["id"]);
  WaitDelivery(t, new_dlv, "failed", 2);
  WaitDelivery(t, other_dlv, "failed", 2);

  // Bad input: a clear 4xx, nothing re-queued.
  const std::string path = "/api/v1/endpoints/" + ep_id + "/recover";
  for (const json& bad : {json::object(), json{{"since", "yesterday"}}, json{{"since", 5}},
                          json{{"since", since}, {"until", since}}}) {
    auto r = t.Post(path, bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << bad.dump() << " -> " << r->body;
    EXPECT_TRUE(json::parse(r->body, nullptr, false).contains("error")) << r->body;
  }
  auto missing = t.Post("/api/v1/endpoints/ep_unknown/recover", {{"since", since}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << missing->body;
  EXPECT_EQ(t.GetJson("/api/v1/deliveries/" + new_dlv)["status"], "failed");

  rx.Script("/down", {{200, "back", {}, {}}});
  rx.Script("/other", {{200, "back", {}, {}}});
  auto r = t.Post(path, {{"since", since}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  EXPECT_EQ(json::parse(r->body)["requeued"], 1);
  json d = WaitDelivery(t, new_dlv, "succeeded", 3);
  EXPECT_EQ(d["attempts"].back()["response_status"], 200);
  // The delivery from before `since` and the other endpoint's stay failed.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(t.GetJson("/api/v1/deliveries/" + old_dlv)["status"], "failed");
  EXPECT_EQ(t.GetJson("/api/v1/deliveries/" + other_dlv)["status"], "failed");
  EXPECT_EQ(rx.Count("/other"), 2u);
}

// Case 5: 410 Gone disables the endpoint; nothing new is fanned out to it until it is enabled.
TEST_F(DeliveryIntegration, GoneDisablesEndpointUntilEnabled) {
  ScriptedReceiver rx;
  rx.Script("/gone", {{410, "gone", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200), milliseconds(200)}));
  json ep = t.CreateEndpoint({{"url", rx.Url("/gone")}});
  const std::string ep_path = "/api/v1/endpoints/" + ep["id"].get<std::string>();
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  json d = WaitDelivery(t, dlv, "failed", 1);
  ASSERT_EQ(d["attempts"].size(), 1u) << d.dump();
  EXPECT_EQ(d["attempts"][0]["response_status"], 410);
  json e = t.GetJson(ep_path);
  EXPECT_EQ(e["disabled"], true) << e.dump();
  EXPECT_EQ(rx.Count("/gone"), 1u);

  rx.Script("/gone", {{200, "ok", {}, {}}});
  json later = t.PostMessage("order.created", {{"n", 2}});
  EXPECT_EQ(later["deliveries"], 0)
      << "a message right after the 410 must not fan out to the disabled endpoint: "
      << later.dump();
  json later_msg = t.GetJson("/api/v1/messages/" + later["id"].get<std::string>());
  EXPECT_EQ(later_msg["deliveries"].size(), 0u) << later_msg.dump();

  auto enable = t.Post(ep_path + "/enable", json::object());
  ASSERT_TRUE(enable);
  EXPECT_EQ(enable->status, 200) << enable->body;
  EXPECT_EQ(t.GetJson(ep_path)["disabled"], false);
  json again = t.PostMessage("order.created", {{"n", 3}});
  EXPECT_EQ(again["deliveries"], 1);
  const std::string dlv3 = OnlyDelivery(t, again["id"]);
  ASSERT_FALSE(dlv3.empty());
  WaitDelivery(t, dlv3, "succeeded", 1);
  // Only the first and the third message reached the receiver.
  auto reqs = rx.Requests("/gone");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].Header("webhook-id"), again["id"].get<std::string>());

  std::vector<std::string> types;
  for (const StatusEntry& s : StatusLogFor(t, "endpoint_id", ep["id"]))
    if (s.type.starts_with("endpoint.")) types.push_back(s.type);
  EXPECT_EQ(types, (std::vector<std::string>{"endpoint.disabled", "endpoint.enabled"}));
}

// Retry and recover against a disabled endpoint are 409 endpoint_disabled and change nothing
// (they used to answer 202 and then fail at once); once enabled, both work again.
TEST_F(DeliveryIntegration, RetryAndRecoverOnADisabledEndpointAre409AndChangeNothing) {
  ScriptedReceiver rx;
  rx.Script("/gone", {{410, "gone", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}));
  json ep = t.CreateEndpoint({{"url", rx.Url("/gone")}});
  const std::string ep_path = "/api/v1/endpoints/" + ep["id"].get<std::string>();
  const std::string since = FormatRfc3339(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() -
      60'000);
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());
  const json failed = WaitDelivery(t, dlv, "failed", 1);
  ASSERT_EQ(t.GetJson(ep_path)["disabled"], true);
  rx.Script("/gone", {{200, "ok", {}, {}}});

  for (const auto& [path, body] :
       std::vector<std::pair<std::string, json>>{{"/api/v1/deliveries/" + dlv + "/retry", {}},
                                                 {ep_path + "/recover", {{"since", since}}}}) {
    auto r = t.Post(path, body.is_null() ? json::object() : body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 409) << path << " -> " << r->body;
    const json err = json::parse(r->body, nullptr, false);
    EXPECT_EQ(err["error"]["code"], "endpoint_disabled") << r->body;
    EXPECT_NE(err["error"]["message"].get<std::string>().find("/enable"), std::string::npos)
        << r->body;
  }
  std::this_thread::sleep_for(milliseconds(300));  // an attempt would have been made by now
  EXPECT_EQ(t.GetJson("/api/v1/deliveries/" + dlv), failed);
  EXPECT_EQ(rx.Count("/gone"), 1u);

  auto enable = t.Post(ep_path + "/enable", json::object());
  ASSERT_TRUE(enable);
  ASSERT_EQ(enable->status, 200) << enable->body;
  auto retry = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 202) << retry->body;
  WaitDelivery(t, dlv, "succeeded", 2);
  auto recover = t.Post(ep_path + "/recover", {{"since", since}});
  ASSERT_TRUE(recover);
  EXPECT_EQ(recover->status, 202) << recover->body;
  EXPECT_EQ(json::parse(recover->body)["requeued"], 0);  // nothing failed any more
}

// Two rotations within the grace: every delivery is signed with all three secrets, and each
// previous one stops signing at the end of its own grace.
TEST_F(DeliveryIntegration, EverySecretInItsGraceSignsAfterTwoRotations) {
  ScriptedReceiver rx;
  FakeClock clock(1'767'225'600'000);
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}), &clock);
  const std::string a = "whsec_" + Base64Encode("0123456789abcdefghijklmn");
  const std::string b = "whsec_" + Base64Encode("nmlkjihgfedcba9876543210");
  const std::string c = "whsec_" + Base64Encode("abcdefghijklmn0123456789");
  json ep = t.CreateEndpoint({{"url", rx.Url("/signed")}, {"secret", a}});
  const std::string rotate_path =
      "/api/v1/endpoints/" + ep["id"].get<std::string>() + "/rotate-secret";
  auto rotate = [&](const std::string& secret) {
    auto r = t.Post(rotate_path, {{"secret", secret}, {"grace_seconds", 100}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  };
  // The signatures of one new message's delivery.
  int n = 0;
  auto signed_with = [&] {
    json msg = t.PostMessage("order.created", {{"n", ++n}});
    const std::string dlv = OnlyDelivery(t, msg["id"]);
    WaitDelivery(t, dlv, "succeeded", 1);
    auto reqs = rx.Requests("/signed");
    if (reqs.size() != static_cast<size_t>(n)) return std::set<std::string>{"<missing request>"};
    const Received& r = reqs.back();
    std::set<std::string> secrets;
    for (const std::string& sig : SplitSpaces(r.Header("webhook-signature"))) {
      for (const std::string& s : {a, b, c})
        if (sig == ExpectedSignature(s, r)) secrets.insert(s);
      if (sig != ExpectedSignature(a, r) && sig != ExpectedSignature(b, r) &&
          sig != ExpectedSignature(c, r))
        secrets.insert("<unknown signature>");
    }
    return secrets;
  };
  rotate(b);  // a signs for 100 s more
  clock.Advance(std::chrono::seconds(10));
  rotate(c);  // b signs for 100 s more
  EXPECT_EQ(signed_with(), (std::set<std::string>{a, b, c}));
  clock.Advance(std::chrono::seconds(90));  // a's grace has ended
  EXPECT_EQ(signed_with(), (std::set<std::string>{b, c}));
  clock.Advance(std::chrono::seconds(10));  // and b's
  EXPECT_EQ(signed_with(), (std::set<std::string>{c}));
}

// Case 6: 429 with Retry-After waits that long, clamped to [delay, 2 x delay].
TEST_F(DeliveryIntegration, RetryAfterIsClampedToTwiceTheDelay) {
  ScriptedReceiver rx;
  rx.Script("/limited", {{429, "slow down", {{"Retry-After", "3600"}}, {}}, {200, "ok", {}, {}}});
  const milliseconds delay(30'000);
  FakeClock clock(1'767'225'600'000);
  TestServer t("", nullptr, LocalDeliverySettings({delay}), &clock);
  t.CreateEndpoint({{"url", rx.Url("/limited")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  json d = WaitDelivery(t, dlv, "retrying", 1);
  EXPECT_EQ(d["attempts"][0]["response_status"], 429);
  // Retry-After (1 h) is above 2 x delay for any jitter, so the wait is 2 x the jittered delay.
  const int64_t wait = MillisOf(d["next_attempt_at"]) - MillisOf(d["attempts"][0]["started_at"]);
  EXPECT_GE(wait, 2 * delay.count() * 8 / 10) << d.dump();
  EXPECT_LE(wait, 2 * delay.count() * 12 / 10) << d.dump();
  ExpectAttemptExactlyWhenDue(t, clock, rx, "/limited", MillisOf(d["next_attempt_at"]), 1);
  WaitDelivery(t, dlv, "succeeded", 2);
}

// Case 7: fan-out follows event_types and source_ids; an ingested event is delivered with its
// raw body bytes.
TEST_F(DeliveryIntegration, FanOutFollowsFiltersAndIngestedBodyIsDeliveredVerbatim) {
  ScriptedReceiver rx;
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}));
  json src = t.CreateSource("github", "gh-secret");
  const std::string src_id = src["id"];
  json a = t.CreateEndpoint({{"url", rx.Url("/a")}, {"event_types", {"invoice.*"}}});
  json b = t.CreateEndpoint({{"url", rx.Url("/b")}, {"event_types", {"order.created"}}});
  json c = t.CreateEndpoint({{"url", rx.Url("/c")}, {"event_types", json::array()}});
  json s = t.CreateEndpoint({{"url", rx.Url("/s")}, {"source_ids", {src_id}}});

  auto endpoints_of = [&](const json& msg) {
    std::set<std::string> ids;
    json m = t.GetJson("/api/v1/messages/" + msg["id"].get<std::string>());
    for (const json& d : m["deliveries"]) ids.insert(d["endpoint_id"].get<std::string>());
    return ids;
  };
  json invoice = t.PostMessage("invoice.paid", {{"n", 1}});
  EXPECT_EQ(invoice["deliveries"], 2);
  EXPECT_EQ(endpoints_of(invoice),
            (std::set<std::string>{a["id"].get<std::string>(), c["id"].get<std::string>()}));
  json order = t.PostMessage("order.created", {{"n", 2}});
  EXPECT_EQ(order["deliveries"], 2);
  EXPECT_EQ(endpoints_of(order),
            (std::set<std::string>{b["id"].get<std::string>(), c["id"].get<std::string>()}));
  json other = t.PostMessage("invoices.x", {{"n", 3}});
  EXPECT_EQ(other["deliveries"], 1);
  EXPECT_EQ(endpoints_of(other), (std::set<std::string>{c["id"].get<std::string>()}));

  // Odd spacing, key order, escapes and non-ASCII: anything re-serialized would differ.
  const std::string raw = "{ \"zeta\" :1,\"alpha\": [ 1.50, \"\\u00e9\\n\" ],\n \"action\":\"x\"}";
  httplib::Headers gh = {
      {"X-Hub-Signature-256", "sha256=" + HexEncode(HmacSha256("gh-secret", raw))},
      {"X-GitHub-Delivery", "delivery-1"},
      {"X-GitHub-Event", "push"}};
  auto ingest = t.client().Post(src["ingest_path"].get<std::string>(), gh, raw, "application/json");
  ASSERT_TRUE(ingest);
  ASSERT_EQ(ingest->status, 202) << ingest->body;

  EXPECT_TRUE(WaitUntil([&] { return rx.Count("/s") >= 1 && rx.Count("/c") >= 4; }))
      << "/s got " << rx.Count("/s") << ", /c got " << rx.Count("/c");
  auto delivered = rx.Requests("/s");
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].body, raw);
  auto to_c = rx.Requests("/c");
  EXPECT_TRUE(std::any_of(to_c.begin(), to_c.end(), [&](const Received& r) {
    return r.body == raw && r.Header("webhook-id") == delivered[0].Header("webhook-id");
  }));
  // The ingested event's message is the one delivered, and it names its source.
  json msgs = t.GetJson("/api/v1/messages?event_type=push.x");
  ASSERT_TRUE(msgs.is_object());
  ASSERT_EQ(msgs["data"].size(), 1u) << msgs.dump();
  EXPECT_EQ(msgs["data"][0]["id"], delivered[0].Header("webhook-id"));
  EXPECT_EQ(msgs["data"][0]["source_id"], src_id);

  // Every delivery ends succeeded; nothing else arrived anywhere.
  json all = t.GetJson("/api/v1/deliveries?limit=100");
  ASSERT_TRUE(all.is_object());
  EXPECT_EQ(all["data"].size(), 7u) << all.dump();
  for (const json& d : all["data"]) WaitDelivery(t, d["id"], "succeeded", 1);
  EXPECT_EQ(rx.Count("/a"), 1u);
  EXPECT_EQ(rx.Count("/b"), 1u);
  EXPECT_EQ(rx.Count("/c"), 4u);
  EXPECT_EQ(rx.Count("/s"), 1u);
}

// Case 8: the receiver verifies webhook-signature with hookd's own crypto; during a rotation's
// grace both secrets sign.
TEST_F(DeliveryIntegration, SignatureVerifiesAndRotationSignsWithBothSecrets) {
  ScriptedReceiver rx;
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}));
  const std::string old_secret = "whsec_" + Base64Encode("0123456789abcdefghijklmn");
  const std::string new_secret = "whsec_" + Base64Encode("nmlkjihgfedcba9876543210");
  json ep = t.CreateEndpoint({{"url", rx.Url("/signed")}, {"secret", old_secret}});
  EXPECT_EQ(ep["secret"], old_secret);

  json first = t.PostMessage("order.created", {{"n", 1}, {"text", "h\u00e9llo"}});
  const std::string dlv1 = OnlyDelivery(t, first["id"]);
  ASSERT_FALSE(dlv1.empty());
  WaitDelivery(t, dlv1, "succeeded", 1);
  auto reqs = rx.Requests("/signed");
  ASSERT_EQ(reqs.size(), 1u);
  const Received& r1 = reqs[0];
  EXPECT_EQ(r1.Header("webhook-id"), first["id"].get<std::string>());
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const int64_t ts = std::stoll(r1.Header("webhook-timestamp"));
  EXPECT_LE(std::abs(now_s - ts), 30);
  EXPECT_EQ(r1.Header("webhook-signature"), ExpectedSignature(old_secret, r1));
  EXPECT_NE(r1.Header("webhook-signature"), ExpectedSignature(new_secret, r1));

  auto rotate = t.Post("/api/v1/endpoints/" + ep["id"].get<std::string>() + "/rotate-secret",
                       {{"secret", new_secret}});
  ASSERT_TRUE(rotate);
  ASSERT_EQ(rotate->status, 200) << rotate->body;
  json second = t.PostMessage("order.created", {{"n", 2}});
  const std::string dlv2 = OnlyDelivery(t, second["id"]);
  ASSERT_FALSE(dlv2.empty());
  WaitDelivery(t, dlv2, "succeeded", 1);
  reqs = rx.Requests("/signed");
  ASSERT_EQ(reqs.size(), 2u);
  const Received& r2 = reqs[1];
  const std::string header = r2.Header("webhook-signature");
  EXPECT_NE(header.find(' '), std::string::npos) << header;
  EXPECT_EQ(SplitSpaces(header), (std::set<std::string>{ExpectedSignature(old_secret, r2),
                                                        ExpectedSignature(new_secret, r2)}))
      << header;
}

// Case 9: custom headers arrive; unsafe ones and private targets are refused at registration.
TEST_F(DeliveryIntegration, CustomHeadersDeliveredAndUnsafeEndpointsRefused) {
  ScriptedReceiver rx;
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}));
  json ep = t.CreateEndpoint(
      {{"url", rx.Url("/h")}, {"headers", {{"X-Tenant", "acme"}, {"X-Trace", "t-1 2"}}}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());
  WaitDelivery(t, dlv, "succeeded", 1);
  auto reqs = rx.Requests("/h");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].Header("X-Tenant"), "acme");
  EXPECT_EQ(reqs[0].Header("x-trace"), "t-1 2");
  EXPECT_EQ(reqs[0].Header("content-type"), "application/json");
  EXPECT_TRUE(reqs[0].Header("user-agent").starts_with("hookd/")) << reqs[0].Header("user-agent");
  EXPECT_EQ(reqs[0].Header("webhook-id"), msg["id"].get<std::string>());

  const std::vector<json> bad_headers = {
      {{"X-Evil", "a\r\nInjected: 1"}},
      {{"X-Evil", "a\nb"}},
      {{"X-Evil", "a\rb"}},
      {{"webhook-id", "msg_mine"}},
      {{"Webhook-Signature", "v1,forged"}},
  };
  for (const json& h : bad_headers) {
    auto r = t.Post("/api/v1/endpoints", {{"url", rx.Url("/bad")}, {"headers", h}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422) << h.dump() << " -> " << r->body;
    json err = json::parse(r->body, nullptr, false);
    EXPECT_EQ(err["error"]["code"], "invalid_field") << r->body;
  }
  json list = t.GetJson("/api/v1/endpoints");
  ASSERT_TRUE(list.is_object());
  ASSERT_EQ(list["data"].size(), 1u) << list.dump();
  EXPECT_EQ(list["data"][0]["id"], ep["id"]);

  TestServer strict;  // default settings: private targets are refused
  auto r = strict.Post("/api/v1/endpoints", {{"url", rx.Url("/h")}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  const json refused = json::parse(r->body, nullptr, false);
  EXPECT_EQ(refused["error"]["code"], "forbidden_target") << r->body;
  // It names the setting that allows a local receiver.
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("HOOKD_ALLOW_PRIVATE_TARGETS=1"),
            std::string::npos)
      << r->body;
  EXPECT_EQ(strict.GetJson("/api/v1/endpoints")["data"].size(), 0u);
}

// Case 10: the status log records each attempt and each state change of a delivery.
TEST_F(DeliveryIntegration, StatusLogRecordsAttemptsRetriesAndSuccess) {
  ScriptedReceiver rx;
  rx.Script("/flaky", {{500, "e1", {}, {}}, {500, "e2", {}, {}}, {200, "done", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200), milliseconds(200)}));
  json ep = t.CreateEndpoint({{"url", rx.Url("/flaky")}});
  json msg = t.PostMessage("invoice.paid", {{"amount", 42}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());
  WaitDelivery(t, dlv, "succeeded", 3);

  std::map<std::string, int> counts;
  std::vector<StatusEntry> attempted;
  int64_t last_seq = 0;
  for (const StatusEntry& e : StatusLogFor(t, "delivery_id", dlv)) {
    ++counts[e.type];
    EXPECT_GT(e.seq, last_seq);
    last_seq = e.seq;
    EXPECT_EQ(e.data["message_id"], msg["id"]) << e.type;
    EXPECT_EQ(e.data["endpoint_id"], ep["id"]) << e.type;
    if (e.type == "delivery.attempted") attempted.push_back(e);
    if (e.type == "delivery.retrying") {
      EXPECT_EQ(e.data["response_status"], 500);
      EXPECT_TRUE(e.data["next_attempt_at"].is_string()) << e.data.dump();
    }
    if (e.type == "delivery.succeeded") {
      EXPECT_EQ(e.data["response_status"], 200);
    }
  }
  EXPECT_EQ(counts,
            (std::map<std::string, int>{
                {"delivery.attempted", 3}, {"delivery.retrying", 2}, {"delivery.succeeded", 1}}));
  ASSERT_EQ(attempted.size(), 3u);
  const std::vector<int> statuses = {500, 500, 200};
  for (size_t i = 0; i < attempted.size(); ++i) {
    EXPECT_EQ(attempted[i].data["attempt"], i + 1);
    EXPECT_EQ(attempted[i].data["response_status"], statuses[i]);
    ASSERT_TRUE(attempted[i].data["latency_ms"].is_number_integer()) << attempted[i].data.dump();
    EXPECT_GE(attempted[i].data["latency_ms"].get<int64_t>(), 0);
  }
}

}  // namespace
}  // namespace hookd::testing
