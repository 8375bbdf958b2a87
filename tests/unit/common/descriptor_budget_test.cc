// The process's one descriptor budget: both listeners' caps and the outbound sockets stay below
// the open-file limit with a reserve.
#include "common/descriptor_budget.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(DescriptorBudgetTest, WantedCapsThatFitAreKept) {
  const DescriptorCaps wanted{10000, 10000, 4096};
  DescriptorPlan plan = PlanDescriptors(1 << 20, wanted);
  EXPECT_FALSE(plan.lowered);
  EXPECT_EQ(plan.caps.http, 10000u);
  EXPECT_EQ(plan.caps.streams, 10000u);
  EXPECT_EQ(plan.caps.outbound, 4096u);
  EXPECT_EQ(DescribeLowered(plan, wanted), "");
  EXPECT_FALSE(PlanDescriptors(0, wanted).lowered);  // no limit
}

TEST(DescriptorBudgetTest, ReproducesDescriptorExhaustionCapsTogetherStayBelowTheLimit) {
  // The case: 1,024 descriptors, 10,000 + 10,000 connections and 4,096 outbound wanted.
  const DescriptorCaps wanted{10000, 10000, 4096};
  for (size_t limit : {64u, 256u, 1024u, 4096u, 20000u}) {
    DescriptorPlan plan = PlanDescriptors(limit, wanted);
    EXPECT_TRUE(plan.lowered) << limit;
    EXPECT_GE(plan.reserve, limit / 4 < 256 ? limit / 4 : 256u) << limit;
    EXPECT_LE(plan.caps.http + plan.caps.streams + plan.caps.outbound + plan.reserve, limit)
        << limit;
    EXPECT_GE(plan.caps.http, 1u);
    EXPECT_GE(plan.caps.outbound, 1u);
    // In proportion to what was wanted.
    EXPECT_EQ(plan.caps.http, plan.caps.streams) << limit;
    EXPECT_LT(plan.caps.outbound, plan.caps.http) << limit;
  }
  DescriptorPlan plan = PlanDescriptors(1024, wanted);
  EXPECT_EQ(plan.reserve, 256u);
  EXPECT_NE(DescribeLowered(plan, wanted).find("open-file limit 1024"), std::string::npos);
}

}  // namespace
}  // namespace hookd
