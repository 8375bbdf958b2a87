// The state a delivery shows is its state (API.md, "Messages and deliveries"), through a real
// hookd server and its delivery engine against a scripted receiver on 127.0.0.1: a delivery held
// by an open circuit shows the circuit's retry time and says so, an attempt in flight shows as in
// flight, and a manual retry is one attempt that returns the delivery to where it was when it
// fails (also when a crash cuts it off). States are awaited by polling the admin API.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/db.h"
#include "common/status_log.h"
#include "common/time_format.h"
#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"
#include "tests/testing/scripted_receiver.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait.h"

namespace hookd::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr int64_t kT0 = 1'767'225'600'000;  // the fake clocks' start

std::string OnlyDelivery(TestServer& t, const std::string& msg_id) {
  json m = t.GetJson("/api/v1/messages/" + msg_id);
  if (!m.is_object() || m["deliveries"].size() != 1) return "";
  return m["deliveries"][0]["id"];
}

int64_t MillisOf(const json& rfc3339) {
  return rfc3339.is_string() ? ParseRfc3339(rfc3339.get<std::string>()).value_or(-1) : -1;
}

// Waits until delivery `id` satisfies `pred` and returns it (the last state seen otherwise).
template <typename Pred>
json WaitFor(TestServer& t, const std::string& id, Pred pred, const std::string& what) {
  json d;
  const bool ok = WaitUntil([&] {
    d = t.GetJson("/api/v1/deliveries/" + id);
    return d.is_object() && pred(d);
  });
  EXPECT_TRUE(ok) << "delivery " << id << " never " << what << "; last seen: " << d.dump();
  return d;
}

// Waits until the delivery has `n` attempts listed and no manual retry waiting.
json WaitAttempts(TestServer& t, const std::string& id, size_t n) {
  return WaitFor(
      t, id,
      [n](const json& d) {
        return d["attempts"].size() == n && d["manual_retry"] == false && d["in_flight"] == false;
      },
      "had " + std::to_string(n) + " attempts recorded");
}

// The status-log entries whose data names delivery or endpoint `id`, in order.
std::vector<StatusEntry> EntriesFor(TestServer& t, const std::string& key, const std::string& id) {
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

// The delivery's row in a list answer, or null.
json InList(const json& list, const std::string& id) {
  if (!list.is_object() || !list["data"].is_array()) return json();
  for (const json& d : list["data"])
    if (d["id"] == id) return d;
  return json();
}

class DeliveryState : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }
};

// A receiver failing every attempt opens the endpoint's circuit. From then on, its waiting
// deliveries show the circuit's retry time (not their own, earlier, one) and `waiting`
// "circuit_open" in GET /deliveries/{id}, the list and the message, and so does the status-log
// entry of the attempt that opened it; a delivery created while the circuit is open shows the
// same instead of its creation time; a manual retry is 409 circuit_open and changes nothing.
TEST_F(DeliveryState, DeliveriesHeldByAnOpenCircuitShowItsRetryTimeAndSaySo) {
  ScriptedReceiver rx;
  rx.Script("/down", {{500, "down", {}, {}}});
  FakeClock clock(kT0);
  const std::vector<milliseconds> schedule(10, milliseconds(2'000));
  TestServer t("", nullptr, LocalDeliverySettings(schedule), &clock);
  json ep = t.CreateEndpoint({{"url", rx.Url("/down")}});
  const std::string ep_id = ep["id"];
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());

  // Each failed attempt is followed by the next at its due time, until the circuit opens
  // (5 failures in a row over at least 5 s of the engine's clock).
  json e;
  for (size_t n = 1; n <= 8; ++n) {
    json d = WaitAttempts(t, dlv, n);
    ASSERT_EQ(d["attempts"].size(), n) << d.dump();
    e = t.GetJson("/api/v1/endpoints/" + ep_id);
    if (e["circuit"] == "open") break;
    EXPECT_TRUE(d["waiting"].is_null()) << d.dump();
    const int64_t due = MillisOf(d["next_attempt_at"]);
    ASSERT_GT(due, clock.NowUnixMillis()) << d.dump();
    clock.Advance(milliseconds(due - clock.NowUnixMillis()));
    t.server().WakeDelivery();
  }
  ASSERT_EQ(e["circuit"], "open") << e.dump();
  const int64_t retry_at = MillisOf(e["circuit_retry_at"]);
  ASSERT_GT(retry_at, clock.NowUnixMillis() + 20'000) << e.dump();
  const size_t made = rx.Count("/down");

  json d = t.GetJson("/api/v1/deliveries/" + dlv);
  EXPECT_EQ(d["status"], "retrying") << d.dump();
  EXPECT_EQ(d["waiting"], "circuit_open") << d.dump();
  EXPECT_EQ(MillisOf(d["next_attempt_at"]), retry_at) << d.dump();
  EXPECT_EQ(d["in_flight"], false) << d.dump();
  // The list and the message show the same.
  json listed = InList(t.GetJson("/api/v1/deliveries?endpoint_id=" + ep_id), dlv);
  EXPECT_EQ(listed["waiting"], "circuit_open") << listed.dump();
  EXPECT_EQ(MillisOf(listed["next_attempt_at"]), retry_at) << listed.dump();
  json m = t.GetJson("/api/v1/messages/" + msg["id"].get<std::string>());
  EXPECT_EQ(m["deliveries"][0]["waiting"], "circuit_open") << m.dump();
  EXPECT_EQ(MillisOf(m["deliveries"][0]["next_attempt_at"]), retry_at) << m.dump();

  // The stream: the circuit's opening, and the last attempt's delivery.retrying entry says the
  // circuit holds it until its retry time.
  auto opened = EntriesFor(t, "endpoint_id", ep_id);
  bool saw_opening = false;
  for (const StatusEntry& s : opened)
    if (s.type == "endpoint.circuit_opened") {
      saw_opening = true;
      EXPECT_EQ(MillisOf(s.data["circuit_retry_at"]), retry_at) << s.data.dump();
    }
  EXPECT_TRUE(saw_opening);
  auto entries = EntriesFor(t, "delivery_id", dlv);
  ASSERT_FALSE(entries.empty());
  const StatusEntry& last = entries.back();
  EXPECT_EQ(last.type, "delivery.retrying") << last.data.dump();
  EXPECT_EQ(last.data["waiting"], "circuit_open") << last.data.dump();
  EXPECT_EQ(MillisOf(last.data["next_attempt_at"]), retry_at) << last.data.dump();

  // Twenty seconds later (its own retry time long past), a delivery created meanwhile and the
  // old one still show the circuit's time, and nothing was sent.
  clock.Advance(milliseconds(20'000));
  json later = t.PostMessage("order.created", {{"n", 2}});
  const std::string fresh = OnlyDelivery(t, later["id"]);
  ASSERT_FALSE(fresh.empty());
  t.server().WakeDelivery();
  std::this_thread::sleep_for(milliseconds(300));
  for (const std::string& id : {dlv, fresh}) {
    json w = t.GetJson("/api/v1/deliveries/" + id);
    EXPECT_EQ(w["waiting"], "circuit_open") << w.dump();
    EXPECT_EQ(MillisOf(w["next_attempt_at"]), retry_at) << w.dump();
  }
  EXPECT_EQ(t.GetJson("/api/v1/deliveries/" + fresh)["status"], "pending");
  EXPECT_EQ(rx.Count("/down"), made);

  // A manual retry cannot be made now: 409 circuit_open with the time left, nothing changed.
  auto r = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  json err = json::parse(r->body, nullptr, false);
  EXPECT_EQ(err["error"]["code"], "circuit_open") << r->body;
  EXPECT_NE(err["error"]["message"].get<std::string>().find(FormatRfc3339(retry_at)),
            std::string::npos)
      << r->body;
  ASSERT_TRUE(r->has_header("Retry-After"));
  EXPECT_EQ(std::stoll(r->get_header_value("Retry-After")),
            (retry_at - clock.NowUnixMillis() + 999) / 1000);
  json after = t.GetJson("/api/v1/deliveries/" + dlv);
  EXPECT_EQ(after["manual_retry"], false) << after.dump();
  EXPECT_EQ(MillisOf(after["next_attempt_at"]), retry_at) << after.dump();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(rx.Count("/down"), made);

  // At the retry time one probe goes; its success closes the circuit and both are delivered.
  rx.Script("/down", {{200, "back", {}, {}}});
  clock.Advance(milliseconds(retry_at - clock.NowUnixMillis()));
  t.server().WakeDelivery();
  for (const std::string& id : {dlv, fresh}) {
    json done = WaitFor(
        t, id, [](const json& x) { return x["status"] == "succeeded"; }, "succeeded");
    EXPECT_TRUE(done["waiting"].is_null()) << done.dump();
    EXPECT_TRUE(done["next_attempt_at"].is_null()) << done.dump();
  }
}

// While the receiver holds an attempt's answer, the delivery shows in_flight and no
// next_attempt_at (the lease's end is not an attempt time), in every view; afterwards neither.
TEST_F(DeliveryState, AnAttemptInFlightShowsAsInFlight) {
  ScriptedReceiver rx;
  rx.Script("/slow", {{200, "late", {}, milliseconds(20'000)}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(200)}, milliseconds(30'000)));
  json ep = t.CreateEndpoint({{"url", rx.Url("/slow")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());
  ASSERT_TRUE(WaitUntil([&] { return rx.Count("/slow") == 1; }));

  json d = t.GetJson("/api/v1/deliveries/" + dlv);
  EXPECT_EQ(d["in_flight"], true) << d.dump();
  EXPECT_TRUE(d["next_attempt_at"].is_null()) << d.dump();
  EXPECT_EQ(d["status"], "pending") << d.dump();
  EXPECT_TRUE(d["waiting"].is_null()) << d.dump();
  json listed = InList(t.GetJson("/api/v1/deliveries?status=pending"), dlv);
  EXPECT_EQ(listed["in_flight"], true) << listed.dump();
  EXPECT_TRUE(listed["next_attempt_at"].is_null()) << listed.dump();
  json m = t.GetJson("/api/v1/messages/" + msg["id"].get<std::string>());
  EXPECT_EQ(m["deliveries"][0]["in_flight"], true) << m.dump();
  EXPECT_TRUE(m["deliveries"][0]["next_attempt_at"].is_null()) << m.dump();
  // A manual retry during the attempt is refused.
  auto r = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "attempt_in_progress");

  rx.ReleaseHeld();
  json done = WaitFor(
      t, dlv, [](const json& x) { return x["status"] == "succeeded"; }, "succeeded");
  EXPECT_EQ(done["in_flight"], false) << done.dump();
  EXPECT_TRUE(done["next_attempt_at"].is_null()) << done.dump();
}

// A failed delivery retried by hand gets one attempt: failing, it stays failed with the attempt
// listed and nothing scheduled (the retry schedule is not restarted); a second retry that
// succeeds makes it succeeded.
TEST_F(DeliveryState, AManualRetryIsOneAttemptAndAFailedOneStaysFailed) {
  ScriptedReceiver rx;
  rx.Script("/down", {{503, "unavailable", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(100), milliseconds(100)}));
  t.CreateEndpoint({{"url", rx.Url("/down")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());
  json d = WaitFor(
      t, dlv, [](const json& x) { return x["status"] == "failed"; }, "failed");
  ASSERT_EQ(d["attempts"].size(), 3u) << d.dump();

  auto r = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  json queued = json::parse(r->body);
  // The answer says what will happen: one attempt of a delivery that is failed until then.
  EXPECT_EQ(queued["status"], "failed") << r->body;
  EXPECT_TRUE(queued["manual_retry"] == true || queued["attempts"].size() == 4) << r->body;

  d = WaitAttempts(t, dlv, 4);
  EXPECT_EQ(d["status"], "failed") << d.dump();
  EXPECT_TRUE(d["next_attempt_at"].is_null()) << d.dump();
  EXPECT_EQ(d["attempts"][3]["number"], 4);
  EXPECT_EQ(d["attempts"][3]["response_status"], 503);
  EXPECT_EQ(d["last_response_status"], 503);
  // Nothing is scheduled: no further attempt comes (the schedule's delays are 100 ms).
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(rx.Count("/down"), 4u);
  d = t.GetJson("/api/v1/deliveries/" + dlv);
  EXPECT_EQ(d["status"], "failed") << d.dump();
  EXPECT_EQ(d["attempts"].size(), 4u) << d.dump();
  // The stream: the attempt, then the delivery failed again.
  auto entries = EntriesFor(t, "delivery_id", dlv);
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[entries.size() - 2].type, "delivery.attempted");
  EXPECT_EQ(entries.back().type, "delivery.failed");
  EXPECT_EQ(entries.back().data["attempt"], 4);
  // The delivery is listed among the failed ones.
  EXPECT_FALSE(InList(t.GetJson("/api/v1/deliveries?status=failed"), dlv).is_null());

  rx.Script("/down", {{200, "back", {}, {}}});
  r = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  d = WaitAttempts(t, dlv, 5);
  EXPECT_EQ(d["status"], "succeeded") << d.dump();
  EXPECT_EQ(d["attempts"][4]["response_status"], 200);
  EXPECT_EQ(entries.size() + 2, EntriesFor(t, "delivery_id", dlv).size());
  EXPECT_EQ(EntriesFor(t, "delivery_id", dlv).back().type, "delivery.succeeded");
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(rx.Count("/down"), 5u);
}

// A retrying delivery retried by hand whose attempt fails keeps its place in the schedule: the
// same next_attempt_at as before, and the next scheduled delay is the one it was due for.
TEST_F(DeliveryState, AManualRetryOfARetryingDeliveryKeepsItsPlace) {
  ScriptedReceiver rx;
  rx.Script("/flaky", {{500, "e", {}, {}}});
  FakeClock clock(kT0);
  // Two delays that tell the schedule's positions apart.
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(60'000), milliseconds(600'000)}),
               &clock);
  t.CreateEndpoint({{"url", rx.Url("/flaky")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  ASSERT_FALSE(dlv.empty());
  json d = WaitAttempts(t, dlv, 1);
  ASSERT_EQ(d["status"], "retrying") << d.dump();
  const json due = d["next_attempt_at"];
  ASSERT_TRUE(due.is_string()) << d.dump();

  clock.Advance(milliseconds(1'000));
  auto r = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  d = WaitAttempts(t, dlv, 2);
  EXPECT_EQ(d["status"], "retrying") << d.dump();
  EXPECT_EQ(d["next_attempt_at"], due) << d.dump();
  EXPECT_EQ(d["attempts"][1]["response_status"], 500);
  auto entries = EntriesFor(t, "delivery_id", dlv);
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().type, "delivery.retrying");
  EXPECT_EQ(entries.back().data["next_attempt_at"], due);

  // The scheduled attempt comes at its time and fails: the next wait is the schedule's second
  // delay (600 s ±20%), not its first again.
  clock.Advance(milliseconds(MillisOf(due) - clock.NowUnixMillis()));
  t.server().WakeDelivery();
  d = WaitAttempts(t, dlv, 3);
  EXPECT_EQ(d["status"], "retrying") << d.dump();
  const int64_t wait = MillisOf(d["next_attempt_at"]) - MillisOf(due);
  EXPECT_GE(wait, 480'000) << d.dump();
  EXPECT_LE(wait, 720'000) << d.dump();
  EXPECT_EQ(rx.Count("/flaky"), 3u);
}

// A manual attempt cut off by a crash (the process gone after claiming it, its result never
// written) is made again after the restart, once, and its failure returns the delivery to
// failed with that one attempt listed. The crash is a copy of the data directory taken while the
// attempt hangs at the receiver (SQLite's files as a crash would leave them), served by a second
// server whose clock is past the lease.
TEST_F(DeliveryState, AManualAttemptCutOffByACrashIsOneAttemptAfterTheRestart) {
  ScriptedReceiver rx;
  rx.Script("/down", {{503, "a", {}, {}},
                      {503, "b", {}, {}},
                      {503, "held", {}, milliseconds(20'000)},
                      {503, "again", {}, {}}});
  TempDir crashed;
  std::string dlv;
  {
    TestServer t("", nullptr, LocalDeliverySettings({milliseconds(100)}, milliseconds(30'000)));
    t.CreateEndpoint({{"url", rx.Url("/down")}});
    json msg = t.PostMessage("order.created", {{"n", 1}});
    dlv = OnlyDelivery(t, msg["id"]);
    ASSERT_FALSE(dlv.empty());
    json d = WaitFor(
        t, dlv, [](const json& x) { return x["status"] == "failed"; }, "failed");
    ASSERT_EQ(d["attempts"].size(), 2u) << d.dump();
    auto r = t.Post("/api/v1/deliveries/" + dlv + "/retry", json::object());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
    ASSERT_TRUE(WaitUntil([&] { return rx.Count("/down") == 3; }));
    d = t.GetJson("/api/v1/deliveries/" + dlv);
    EXPECT_EQ(d["in_flight"], true) << d.dump();
    EXPECT_EQ(d["manual_retry"], true) << d.dump();
    EXPECT_EQ(d["status"], "failed") << d.dump();
    // The crash: the files as they are now (the WAL holds the claim; the index is rebuilt).
    // The WAL first: pages a checkpoint moves into the database file meanwhile are in both.
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(t.data_dir()))
      files.push_back(f.path());
    auto ends_with = [](const std::filesystem::path& p, const std::string& tail) {
      const std::string name = p.filename().string();
      return name.size() > tail.size() && name.substr(name.size() - tail.size()) == tail;
    };
    std::stable_partition(files.begin(), files.end(),
                          [&](const auto& p) { return ends_with(p, "-wal"); });
    for (const auto& f : files) {
      if (ends_with(f, "-shm")) continue;
      std::filesystem::copy(f, crashed.path() + "/" + f.filename().string(),
                            std::filesystem::copy_options::recursive);
    }
    rx.ReleaseHeld();
  }  // the first process's own end (its result goes to its own files, not the copy)
  const size_t before = rx.Count("/down");
  ASSERT_EQ(before, 3u);

  FakeClock clock(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() +
      10 * 60'000);
  TestServer restarted(crashed.path(), nullptr,
                       LocalDeliverySettings({milliseconds(100)}, milliseconds(30'000)), &clock);
  restarted.server().WakeDelivery();
  json d = WaitAttempts(restarted, dlv, 3);
  EXPECT_EQ(d["status"], "failed") << d.dump();
  EXPECT_TRUE(d["next_attempt_at"].is_null()) << d.dump();
  EXPECT_EQ(d["attempts"][2]["response_status"], 503);
  EXPECT_EQ(d["attempts"][2]["response_body"], "again");
  clock.Advance(milliseconds(60'000));
  restarted.server().WakeDelivery();
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(rx.Count("/down"), before + 1) << "one attempt after the restart, nothing scheduled";
  EXPECT_EQ(restarted.GetJson("/api/v1/deliveries/" + dlv)["attempts"].size(), 3u);
}

// recover gives each failed delivery one attempt: failing again, it stays failed with nothing
// scheduled (the schedule is not restarted); a second recover retries it again.
TEST_F(DeliveryState, RecoverGivesEachFailedDeliveryOneAttempt) {
  ScriptedReceiver rx;
  rx.Script("/down", {{503, "unavailable", {}, {}}});
  TestServer t("", nullptr, LocalDeliverySettings({milliseconds(100)}));
  json ep = t.CreateEndpoint({{"url", rx.Url("/down")}});
  json msg = t.PostMessage("order.created", {{"n", 1}});
  const std::string dlv = OnlyDelivery(t, msg["id"]);
  WaitFor(
      t, dlv, [](const json& x) { return x["status"] == "failed"; }, "failed");
  const std::string path = "/api/v1/endpoints/" + ep["id"].get<std::string>() + "/recover";
  auto r = t.Post(path, {{"since", FormatRfc3339(0)}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  EXPECT_EQ(json::parse(r->body)["requeued"], 1);
  json d = WaitAttempts(t, dlv, 3);
  EXPECT_EQ(d["status"], "failed") << d.dump();
  EXPECT_TRUE(d["next_attempt_at"].is_null()) << d.dump();
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(rx.Count("/down"), 3u);
}

}  // namespace
}  // namespace hookd::testing
