// ShowWait: what a delivery shows it waits for, from its row and its endpoint's circuit.
#include "deliver/delivery_wait.h"

#include <gtest/gtest.h>

#include <string>

namespace hookd {
namespace {

constexpr int64_t kNow = 1'000'000;

DeliveryWaitInput Waiting(const std::string& status, int64_t next) {
  DeliveryWaitInput in;
  in.status = status;
  in.next_attempt_at = next;
  return in;
}

TEST(DeliveryWait, AWaitingDeliveryShowsItsOwnTimeWithAClosedCircuit) {
  const DeliveryWait w = ShowWait(Waiting("retrying", kNow + 5'000), kNow);
  EXPECT_EQ(w.next_attempt_at, kNow + 5'000);
  EXPECT_FALSE(w.in_flight);
  EXPECT_EQ(w.waiting, nullptr);
}

TEST(DeliveryWait, AnOpenCircuitShowsItsRetryTimeWhenThatIsLater) {
  DeliveryWaitInput in = Waiting("retrying", kNow - 120'000);  // due minutes ago
  in.circuit = "open";
  in.circuit_retry_at = kNow + 30'000;
  DeliveryWait w = ShowWait(in, kNow);
  EXPECT_EQ(w.next_attempt_at, kNow + 30'000);
  ASSERT_NE(w.waiting, nullptr);
  EXPECT_STREQ(w.waiting, "circuit_open");
  EXPECT_FALSE(w.in_flight);
  // Pending deliveries alike.
  in.status = "pending";
  EXPECT_EQ(ShowWait(in, kNow).next_attempt_at, kNow + 30'000);
  // Its own time later than the cool-down: the circuit does not hold it.
  in.next_attempt_at = kNow + 60'000;
  w = ShowWait(in, kNow);
  EXPECT_EQ(w.next_attempt_at, kNow + 60'000);
  EXPECT_EQ(w.waiting, nullptr);
}

TEST(DeliveryWait, AHalfOpenCircuitHoldsADueDeliveryForItsProbe) {
  DeliveryWaitInput in = Waiting("retrying", kNow - 1'000);
  in.circuit = "half_open";
  DeliveryWait w = ShowWait(in, kNow);
  EXPECT_FALSE(w.next_attempt_at.has_value());
  ASSERT_NE(w.waiting, nullptr);
  EXPECT_STREQ(w.waiting, "circuit_half_open");
  in.next_attempt_at = kNow + 60'000;  // not due yet: its own time
  w = ShowWait(in, kNow);
  EXPECT_EQ(w.next_attempt_at, kNow + 60'000);
  EXPECT_EQ(w.waiting, nullptr);
}

TEST(DeliveryWait, ALeasedDeliveryIsInFlightWithoutATime) {
  DeliveryWaitInput in = Waiting("pending", kNow + 20'000);
  in.lease_until = kNow + 20'000;  // the claim moved next_attempt_at to the lease's end
  in.circuit = "open";             // an attempt started before the opening
  in.circuit_retry_at = kNow + 30'000;
  DeliveryWait w = ShowWait(in, kNow);
  EXPECT_TRUE(w.in_flight);
  EXPECT_FALSE(w.next_attempt_at.has_value());
  EXPECT_EQ(w.waiting, nullptr);
  // A lease that ended without a result (a crash): due again, not in flight.
  in.circuit = "closed";
  in.lease_until = kNow - 1;
  in.next_attempt_at = kNow - 1;
  w = ShowWait(in, kNow);
  EXPECT_FALSE(w.in_flight);
  EXPECT_EQ(w.next_attempt_at, kNow - 1);
}

TEST(DeliveryWait, AFinalDeliveryWaitsForNothingUnlessRetriedByHand) {
  DeliveryWaitInput in = Waiting("failed", kNow);
  in.next_attempt_at.reset();
  EXPECT_FALSE(ShowWait(in, kNow).next_attempt_at.has_value());
  // A stray time on a final row is not shown.
  in.next_attempt_at = kNow;
  EXPECT_FALSE(ShowWait(in, kNow).next_attempt_at.has_value());
  // A manual retry's attempt is waiting: its time shows; in flight once claimed.
  in.manual = true;
  EXPECT_EQ(ShowWait(in, kNow).next_attempt_at, kNow);
  in.lease_until = kNow + 10'000;
  EXPECT_TRUE(ShowWait(in, kNow).in_flight);
  in.status = "succeeded";
  EXPECT_TRUE(ShowWait(in, kNow).in_flight);
}

}  // namespace
}  // namespace hookd
