#include "common/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>

namespace hookd {

size_t DescriptorReserve(size_t open_file_limit) {
  // A quarter of a small limit, 256 of a large one: SQLite's connections and their WAL files, the
  // epoll, event and timer descriptors of the I/O threads, the resolver, standard streams.
  return std::min<size_t>(256, open_file_limit / 4);
}

DescriptorPlan PlanDescriptors(size_t open_file_limit, const DescriptorCaps& wanted) {
  DescriptorPlan plan;
  plan.caps = wanted;
  plan.limit = open_file_limit;
  if (open_file_limit == 0) return plan;
  plan.reserve = DescriptorReserve(open_file_limit);
  const size_t usable = open_file_limit - plan.reserve;
  const size_t total = wanted.http + wanted.streams + wanted.outbound;
  if (total <= usable) return plan;
  plan.lowered = true;
  // Each share rounds down, so the sum stays within `usable`.
  auto share = [&](size_t want) {
    return std::max<size_t>(1,
                            static_cast<size_t>(static_cast<long double>(want) * usable / total));
  };
  plan.caps = {share(wanted.http), share(wanted.streams), share(wanted.outbound)};
  return plan;
}

size_t OpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<size_t>(limit.rlim_cur);
}

std::string DescribeLowered(const DescriptorPlan& plan, const DescriptorCaps& wanted) {
  if (!plan.lowered) return "";
  auto pair = [](size_t got, size_t want) {
    return std::to_string(got) + (got < want ? " (of " + std::to_string(want) + ")" : "");
  };
  return "open-file limit " + std::to_string(plan.limit) +
         ": connection caps lowered to fit it: " + pair(plan.caps.http, wanted.http) + " API, " +
         pair(plan.caps.streams, wanted.streams) + " stream, " +
         pair(plan.caps.outbound, wanted.outbound) + " outbound (" + std::to_string(plan.reserve) +
         " kept for the rest); raise `ulimit -n` for more";
}

}  // namespace hookd
