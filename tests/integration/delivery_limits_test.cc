// Per-endpoint limits of the delivery engine, against an in-process receiver.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace hookd::testing {
namespace {

using nlohmann::json;
using Ms = std::chrono::milliseconds;

// Answers 200 after `hold`, recording arrival times and the most requests open at once.
class SlowReceiver {
 public:
  explicit SlowReceiver(Ms hold) {
    server_.set_tcp_nodelay(true);
    server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_.Post("/hook", [this, hold](const httplib::Request&, httplib::Response& res) {
      const int now_open = ++open_;
      int seen = max_open_.load();
      while (now_open > seen && !max_open_.compare_exchange_weak(seen, now_open)) {
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        arrivals_.push_back(std::chrono::steady_clock::now());
      }
      std::this_thread::sleep_for(hold);
      --open_;
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(Ms(1));
  }
  ~SlowReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  int max_open() const { return max_open_.load(); }
  std::vector<std::chrono::steady_clock::time_point> arrivals() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrivals_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> open_{0}, max_open_{0};
  std::mutex mu_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

Settings LocalDelivery() {
  Settings s;
  s.allow_private_targets = true;
  s.retry_schedule = {Ms(200)};
  s.delivery_timeout = Ms(5000);
  return s;
}

// Polls until `n` requests have arrived or 20 s pass.
void WaitForArrivals(SlowReceiver& r, size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.arrivals().size() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(Ms(20));
}

void Publish(TestServer& t, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = t.Post("/api/v1/messages", {{"event_type", "x.y"}, {"payload", {{"i", i}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
  }
}

TEST(DeliveryLimits, ConcurrencyPerEndpointIsCapped) {
  SlowReceiver receiver(Ms(150));
  TestServer t("", nullptr, LocalDelivery());
  auto ep = t.Post("/api/v1/endpoints", {{"url", receiver.url()}});
  ASSERT_TRUE(ep);
  ASSERT_EQ(ep->status, 201) << ep->body;
  Publish(t, 40);
  WaitForArrivals(receiver, 40);
  EXPECT_EQ(receiver.arrivals().size(), 40u);
  EXPECT_LE(receiver.max_open(), 8);  // DeliveryEngineOptions::per_endpoint_concurrency
  EXPECT_GE(receiver.max_open(), 2);  // and yet attempts do run in parallel
}

TEST(DeliveryLimits, RateLimitPerSecondSpreadsAttempts) {
  SlowReceiver receiver(Ms(0));
  TestServer t("", nullptr, LocalDelivery());
  auto ep = t.Post("/api/v1/endpoints", {{"url", receiver.url()}, {"rate_limit_per_second", 5}});
  ASSERT_TRUE(ep);
  ASSERT_EQ(ep->status, 201) << ep->body;
  Publish(t, 15);
  WaitForArrivals(receiver, 15);
  auto arrivals = receiver.arrivals();
  ASSERT_EQ(arrivals.size(), 15u);
  // A full bucket allows a burst of 5, then 5 per second: 15 need at least ~2 s.
  const auto span = std::chrono::duration_cast<Ms>(arrivals.back() - arrivals.front());
  EXPECT_GE(span.count(), 1800);
  // No second holds more than the burst plus one second's tokens.
  for (size_t i = 0; i < arrivals.size(); ++i) {
    size_t in_window = std::count_if(arrivals.begin() + i, arrivals.end(), [&](auto a) {
      return a - arrivals[i] < std::chrono::seconds(1);
    });
    EXPECT_LE(in_window, 10u);
  }
}

TEST(DeliveryLimits, ABacklogOnOneEndpointDoesNotHoldUpAnother) {
  SlowReceiver slow(Ms(100)), fast(Ms(0));
  TestServer t("", nullptr, LocalDelivery());
  auto a = t.Post("/api/v1/endpoints", {{"url", slow.url()}, {"event_types", {"slow.*"}}});
  auto b = t.Post("/api/v1/endpoints", {{"url", fast.url()}, {"event_types", {"fast.*"}}});
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->status, 201) << a->body;
  ASSERT_EQ(b->status, 201) << b->body;
  // 300 deliveries to the slow endpoint: 8 at a time, 100 ms each, about 4 s of backlog, more
  // than the engine claims ahead for one endpoint.
  for (int i = 0; i < 300; ++i) {
    auto r = t.Post("/api/v1/messages", {{"event_type", "slow.x"}, {"payload", {{"i", i}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
  }
  WaitForArrivals(slow, 8);
  const auto published = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto r = t.Post("/api/v1/messages", {{"event_type", "fast.x"}, {"payload", {{"i", i}}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
  }
  WaitForArrivals(fast, 5);
  ASSERT_EQ(fast.arrivals().size(), 5u);
  EXPECT_LT(fast.arrivals().back() - published, std::chrono::seconds(1));
  // The slow endpoint's backlog was still there: the fast one did not wait for it.
  EXPECT_LT(slow.arrivals().size(), 250u);
  EXPECT_LE(slow.max_open(), 8);
}

}  // namespace
}  // namespace hookd::testing
