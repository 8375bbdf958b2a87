// DeliveryGauges against a real SQLite database and a test clock: the oldest due delivery's age
// (in-flight, future, finished, disabled, paused and orphaned deliveries left out), the disabled
// endpoints and the open circuits, and that the queries walk indexes.
#include "deliver/delivery_gauges.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include <prometheus/text_serializer.h>

#include "common/migrations.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;  // unix ms

class DeliveryGaugesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::MigratedPool(dir_.path() + "/hookd.db");
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO messages (id, event_type, payload, created_at)"
                           " VALUES ('msg_1', 'a.b', '{}', 0)")
                    .ok());
  }

  void Exec(const std::string& sql) {
    auto db = pool_->Acquire();
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(sql).ok()) << sql;
  }
  void Endpoint(const std::string& id, int disabled = 0, const std::string& circuit = "closed") {
    Exec(
        "INSERT INTO endpoints (id, url, secret, disabled, circuit, created_at, updated_at)"
        " VALUES ('" +
        id + "', 'https://example.com/', 'whsec_x', " + std::to_string(disabled) + ", '" + circuit +
        "', 0, 0)");
  }
  // A delivery of `endpoint` due at now + due_in_ms (none: finished), leased until now + lease.
  void Delivery(const std::string& endpoint, std::optional<int64_t> due_in_ms,
                std::optional<int64_t> lease_in_ms = std::nullopt) {
    const std::string id = "dlv_" + std::to_string(++n_);
    auto value = [](std::optional<int64_t> v) {
      return v ? std::to_string(kNow + *v) : std::string("NULL");
    };
    Exec(
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at,"
        " lease_until, created_at, updated_at) VALUES ('" +
        id + "', 'msg_1', '" + endpoint + "', '" + (due_in_ms ? "pending" : "succeeded") + "', " +
        value(due_in_ms) + ", " + value(lease_in_ms) + ", 0, 0)");
  }
  DeliveryGaugeValues Read(int64_t at = kNow) {
    auto db = pool_->Acquire();
    EXPECT_TRUE(db.ok());
    auto v = ReadDeliveryGauges(**db, at);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : DeliveryGaugeValues{};
  }

  testing::TempDir dir_;
  std::unique_ptr<DbPool> pool_;
  int n_ = 0;
};

TEST_F(DeliveryGaugesTest, AnEmptyDatabaseIsAllZero) {
  DeliveryGaugeValues v = Read();
  EXPECT_EQ(v.oldest_due_age_seconds, 0);
  EXPECT_EQ(v.endpoints_disabled, 0);
  EXPECT_EQ(v.circuits_open, 0);
}

TEST_F(DeliveryGaugesTest, OnlyFutureOrFinishedDeliveriesMeanNothingIsDue) {
  Endpoint("ep_a");
  Delivery("ep_a", 5000);
  Delivery("ep_a", std::nullopt);
  Delivery("ep_a", 0);  // due exactly now: waited nothing yet
  EXPECT_EQ(Read().oldest_due_age_seconds, 0);
}

TEST_F(DeliveryGaugesTest, TheOldestDueUnstartedDeliveryAcrossEndpoints) {
  Endpoint("ep_a");
  Endpoint("ep_b");
  Delivery("ep_a", -30'000);
  Delivery("ep_a", -60'000, 20'000);  // in flight: its lease runs past both readings
  Delivery("ep_a", 60'000);
  Delivery("ep_b", -12'500);
  EXPECT_DOUBLE_EQ(Read().oldest_due_age_seconds, 30.0);
  // The clock moves: the same delivery has waited longer.
  EXPECT_DOUBLE_EQ(Read(kNow + 10'000).oldest_due_age_seconds, 40.0);
  // An attempt cut off (lease ended, never recorded) is due again.
  Delivery("ep_b", -45'000, -1'000);
  EXPECT_DOUBLE_EQ(Read().oldest_due_age_seconds, 45.0);
}

TEST_F(DeliveryGaugesTest, DisabledPausedAndDeletedEndpointsAreNotCounted) {
  Endpoint("ep_live");
  Endpoint("ep_off", 1);
  Endpoint("ep_paused", 0, "open");
  Endpoint("ep_probe", 0, "half_open");
  Delivery("ep_live", -5'000);
  Delivery("ep_off", -600'000);     // ends unattempted when claimed
  Delivery("ep_paused", -900'000);  // waits for the circuit's retry time
  Delivery("ep_gone", -1'000'000);  // its endpoint was deleted
  DeliveryGaugeValues v = Read();
  EXPECT_DOUBLE_EQ(v.oldest_due_age_seconds, 5.0);
  EXPECT_EQ(v.endpoints_disabled, 1);
  EXPECT_EQ(v.circuits_open, 1);
  // A half-open circuit's deliveries are due (its probe decides).
  Delivery("ep_probe", -20'000);
  EXPECT_DOUBLE_EQ(Read().oldest_due_age_seconds, 20.0);
  Exec("UPDATE endpoints SET disabled = 1 WHERE id IN ('ep_live', 'ep_probe')");
  Exec("UPDATE endpoints SET circuit = 'closed' WHERE id = 'ep_paused'");
  v = Read();
  EXPECT_DOUBLE_EQ(v.oldest_due_age_seconds, 900.0);
  EXPECT_EQ(v.endpoints_disabled, 3);
  EXPECT_EQ(v.circuits_open, 0);
}

TEST_F(DeliveryGaugesTest, TheQueriesWalkIndexesNotTables) {
  auto db = pool_->Acquire();
  ASSERT_TRUE(db.ok());
  auto plan = [&](const std::string& sql) {
    auto st = (*db)->Prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(st.ok()) << sql;
    std::string out;
    while (st.ok()) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      out += st->Text(3) + "\n";
    }
    return out;
  };
  const std::string disabled = plan("SELECT COUNT(*) FROM endpoints WHERE disabled <> 0");
  EXPECT_NE(disabled.find("endpoints_disabled"), std::string::npos) << disabled;
  const std::string open = plan("SELECT COUNT(*) FROM endpoints WHERE circuit = 'open'");
  EXPECT_NE(open.find("endpoints_circuit_open"), std::string::npos) << open;
  EXPECT_EQ(open.find("SCAN endpoints\n"), std::string::npos) << open;
}

TEST_F(DeliveryGaugesTest, TheCollectorServesTheThreeGauges) {
  Endpoint("ep_a", 1);
  Delivery("ep_a", -1000);
  FakeClock clock(kNow);
  DeliveryGauges gauges(*pool_, clock);
  const std::string text = prometheus::TextSerializer().Serialize(gauges.Collect());
  EXPECT_NE(text.find("hookd_oldest_due_delivery_age_seconds 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hookd_endpoints_disabled 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hookd_circuits_open 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE hookd_circuits_open gauge"), std::string::npos) << text;
}

}  // namespace
}  // namespace hookd
