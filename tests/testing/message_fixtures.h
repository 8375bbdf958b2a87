// What the messages' tests publish on either engine: a fixed clock start, the applications and
// endpoints every such test starts with, and a request. For tests only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "deliver/endpoint.h"

namespace hookd::testing {

inline constexpr int64_t kNow = 1'790'000'000'000;
inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;

inline Endpoint MakeEndpoint(const std::string& id, const std::string& app_id,
                             std::vector<std::string> types = {}, bool disabled = false) {
  Endpoint e;
  e.id = id;
  e.app_id = app_id;
  e.url = "http://127.0.0.1:9/" + id;
  e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  e.filter.event_types = std::move(types);
  e.disabled = disabled;
  if (disabled) e.disabled_reason = "by hand";
  e.created_at = kNow;
  e.updated_at = kNow;
  return e;
}

// Two live applications, a deleted one, and endpoints: app_a's ep_a1 (everything), ep_a2
// (order.*), ep_a3 (disabled); app_b's ep_b1.
template <typename Engine>
void Seed(Engine& engine) {
  Status s = engine.Exec(
      "INSERT INTO applications (id, uid, name, created_at, updated_at, deleted_at)"
      " VALUES ('app_a', 'a', 'A', 0, 0, NULL), ('app_b', 'b', 'B', 0, 0, NULL),"
      " ('app_gone', NULL, 'Gone', 0, 0, 5)");
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto store = engine.MakeEndpointStore();
  for (const Endpoint& e :
       {MakeEndpoint("ep_a1", "app_a"), MakeEndpoint("ep_a2", "app_a", {"order.*"}),
        MakeEndpoint("ep_a3", "app_a", {}, true), MakeEndpoint("ep_b1", "app_b")}) {
    s = store->Insert(e);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
}

inline nlohmann::json Order(int n) {
  return {{"event_type", "order.created"}, {"payload", {{"n", n}}}};
}

}  // namespace hookd::testing
