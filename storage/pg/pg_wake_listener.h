// PgWakeListener: LISTENs on one channel on its own connection and thread, and calls a wake
// callback when notifications arrive (once per group that arrives together: the callback is a
// wake-up, such as StatusHub::Notify, not a queue). NOTIFY is lost while nobody listens, so:
// - a lost connection is made again (every reconnect_delay until it works), and once LISTENing
//   again the callback is called once, so the woken reader catches up on whatever committed
//   meanwhile;
// - when nothing has woken it for backstop_poll, it calls the callback anyway (a short poll as
//   back-stop, for whatever no notification announced).
// The callback runs on the listener's thread; it must be quick and must not call Stop.
//
// Thread-safety: Start and Stop from one owner thread; the counters from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/error_log.h"
#include "common/log.h"
#include "common/result.h"
#include "storage/pg/pg_conn.h"

namespace hookd {

class PgListener;

struct PgWakeListenerOptions {
  // Wake at least this often when no notification did.
  std::chrono::milliseconds backstop_poll{1000};
  // Between a lost connection and the next attempt, and between failed attempts.
  std::chrono::milliseconds reconnect_delay{250};
  // The longest Stop waits for a Wait on the connection to return.
  std::chrono::milliseconds stop_check{100};
  PgConnectOptions connect{std::chrono::milliseconds(2000), "hookd-listener"};
};

class PgWakeListener {
 public:
  PgWakeListener(std::string url, std::string channel, std::function<void()> wake,
                 PgWakeListenerOptions options = {});
  ~PgWakeListener();
  PgWakeListener(const PgWakeListener&) = delete;
  PgWakeListener& operator=(const PgWakeListener&) = delete;

  // Where lost connections are logged (before Start; none by default).
  void SetLogger(const Logger& logger) { errors_.SetLogger(logger); }
  // Connects and LISTENs (the error when it cannot: a bad URL, no server), then starts the
  // thread, which calls the callback once first. Once only.
  Status Start();
  // Stops the thread (within about stop_check, or a connection attempt's timeout). Idempotent.
  void Stop();

  // True while the connection is up and LISTENing.
  bool listening() const { return listening_.load(); }
  // Times it has started LISTENing: 1 after Start, one more per reconnect.
  uint64_t connections() const { return connections_.load(); }
  // Times the callback has been called.
  uint64_t wakes() const { return wakes_.load(); }

 private:
  Result<std::unique_ptr<PgListener>> ConnectAndListen();
  void Run(std::unique_ptr<PgListener> listener);
  void Wake();
  // Sleeps `d` or until Stop; false when stopping.
  bool Sleep(std::chrono::milliseconds d);

  const std::string url_;
  const std::string channel_;
  const std::function<void()> wake_;
  const PgWakeListenerOptions options_;
  ErrorLog errors_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> wakes_{0};
  std::thread thread_;
};

}  // namespace hookd
