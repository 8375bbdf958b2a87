// Clock: the source of wall-clock time, injected wherever time matters (tolerances, retry
// schedules, timestamps) so tests can use FakeClock instead of sleeping.
// SystemClock and FakeClock are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hookd {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  int64_t NowUnixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  }
  int64_t NowUnixMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t unix_millis = 0) : millis_(unix_millis) {}
  TimePoint Now() const override {
    return TimePoint(std::chrono::milliseconds(millis_.load(std::memory_order_relaxed)));
  }
  void SetUnixSeconds(int64_t s) { millis_.store(s * 1000); }
  void Advance(std::chrono::milliseconds d) { millis_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> millis_;
};

}  // namespace hookd
