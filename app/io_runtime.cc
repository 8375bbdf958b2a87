#include "app/io_runtime.h"

#include <exception>
#include <utility>

#include "common/thread_name.h"

namespace hookd {

IoRuntime::IoRuntime(int threads, std::string name, const Logger& logger)
    : threads_(threads), name_(std::move(name)), logger_(logger), ioc_(threads) {}

IoRuntime::~IoRuntime() { Stop(); }

void IoRuntime::Start() {
  if (!pool_.empty()) return;
  work_.emplace(ioc_.get_executor());
  for (int i = 0; i < threads_; ++i) {
    pool_.emplace_back([this] {
      NameThisThread(name_);
      // A handler that throws must not take the process down with it: report and keep running.
      while (true) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          logger_.Error("io handler failed", {{"error", e.what()}});
        }
      }
    });
  }
}

void IoRuntime::Stop() {
  work_.reset();
  ioc_.stop();
  for (std::thread& t : pool_) t.join();
  pool_.clear();
}

}  // namespace hookd
