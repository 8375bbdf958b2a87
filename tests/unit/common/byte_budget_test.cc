#include "common/byte_budget.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(ByteBudgetTest, GrowthPastTheTotalIsRefusedAndShrinkingFreesRoom) {
  ByteBudget b(1000, 100, 1.0);
  EXPECT_TRUE(b.Resize(0, 600));
  EXPECT_FALSE(b.Resize(0, 500));
  EXPECT_EQ(b.used(), 600u);
  EXPECT_TRUE(b.Resize(600, 200));
  EXPECT_TRUE(b.Resize(0, 500));
  EXPECT_EQ(b.used(), 700u);
  EXPECT_TRUE(b.Resize(500, 0));
  EXPECT_TRUE(b.Resize(200, 0));
  EXPECT_EQ(b.used(), 0u);
}

TEST(ByteBudgetTest, LargeRequestsCannotTakeTheRoomOfSmallOnes) {
  ByteBudget b(1000, 100, 0.5);    // bytes past 100 per connection: at most 500 in all
  EXPECT_TRUE(b.Resize(0, 400));   // 100 small + 300 large
  EXPECT_FALSE(b.Resize(0, 400));  // another 300 large would pass 500
  EXPECT_TRUE(b.Resize(0, 300));   // 100 small + 200 large
  // The large share is full, but small requests still fit in what is left of the total.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.Resize(0, 100)) << i;
  EXPECT_EQ(b.used(), 1000u);
  EXPECT_FALSE(b.Resize(0, 1));
}

TEST(ByteBudgetTest, ARefusedGrowthChargesNothing) {
  ByteBudget b(1000, 100, 0.5);
  EXPECT_TRUE(b.Resize(0, 50));
  EXPECT_FALSE(b.Resize(50, 700));
  EXPECT_EQ(b.used(), 50u);
  EXPECT_TRUE(b.Resize(50, 600));  // the large share was not consumed by the refusal
}

}  // namespace
}  // namespace hookd
