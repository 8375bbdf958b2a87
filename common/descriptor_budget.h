// DescriptorBudget: one budget of file descriptors for the whole process. The main listener's
// connections, the stream listener's and the outbound deliveries' sockets (attempts in flight
// plus idle pooled connections) together stay below the open-file limit, with a reserve for the
// database, the listeners, timers and the rest, so no accept() or connect() fails for want of a
// descriptor. When the wanted caps do not fit, each is lowered in proportion.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace hookd {

struct DescriptorCaps {
  size_t http = 0;      // main listener connections (HOOKD_MAX_CONNECTIONS)
  size_t streams = 0;   // stream listener connections (HOOKD_STREAM_MAX_CONNECTIONS)
  size_t outbound = 0;  // delivery sockets: attempts in flight plus idle pooled connections
};

struct DescriptorPlan {
  DescriptorCaps caps;
  size_t limit = 0;      // the open-file limit planned for (0: none)
  size_t reserve = 0;    // descriptors left for everything else
  bool lowered = false;  // the wanted caps did not fit and were lowered
};

// Descriptors kept for the database, listeners, timers and the rest of the process.
size_t DescriptorReserve(size_t open_file_limit);

// The caps for `wanted` under `open_file_limit` (0: unlimited, `wanted` as it is). Each cap
// stays at least 1.
DescriptorPlan PlanDescriptors(size_t open_file_limit, const DescriptorCaps& wanted);

// The process's soft RLIMIT_NOFILE, or 0 when unlimited or unknown.
size_t OpenFileLimit();

// One line for the start-up log when the caps were lowered, else "".
std::string DescribeLowered(const DescriptorPlan& plan, const DescriptorCaps& wanted);

}  // namespace hookd
