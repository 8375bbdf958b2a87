// Waiting for a state that another thread or process brings about, with a deadline instead of a
// fixed sleep. For tests only.
#pragma once

#include <chrono>
#include <thread>

namespace hookd::testing {

// How long an awaited state may take to appear: far more than it takes on an idle machine, so
// that a busy one (other builds, stress-ng) does not fail a test that would pass.
inline constexpr std::chrono::milliseconds kWaitDeadline{10'000};

// Calls `pred` every `every` until it returns true (then true) or `deadline` has passed (then
// false, after one last call).
template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds deadline = kWaitDeadline,
               std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return pred();
    std::this_thread::sleep_for(every);
  }
}

}  // namespace hookd::testing
