// IoRuntime: an asynchronous I/O runtime: a Boost.Asio io_context run by a small, fixed pool of
// threads. hookd has two, one thread each: the stream listener's and outbound deliveries', so
// the thread count never grows with connections. Created, started and stopped by app/ only.
// Start/Stop from one thread; context() is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/log.h"

namespace hookd {

class IoRuntime {
 public:
  // A handler that throws is logged to `logger`; the thread keeps running.
  // `name` is the threads' name (common/thread_name.h).
  explicit IoRuntime(int threads, std::string name = "hookd-io",
                     const Logger& logger = Logger::Discard());
  // Stops; the io_context then destroys the handlers it still holds (and the sessions they own),
  // so whatever those reference must still be alive.
  ~IoRuntime();

  boost::asio::io_context& context() { return ioc_; }
  void Start();
  // Stops running handlers and joins the threads. Idempotent.
  void Stop();

 private:
  const int threads_;
  const std::string name_;
  const Logger& logger_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> pool_;
};

}  // namespace hookd
