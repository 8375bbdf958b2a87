#include "storage/pg/pg_wake_listener.h"

#include <algorithm>
#include <utility>

#include "common/clock.h"
#include "common/thread_name.h"
#include "storage/pg/pg_listener.h"

namespace hookd {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

const Clock& SystemClockInstance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

PgWakeListener::PgWakeListener(std::string url, std::string channel, std::function<void()> wake,
                               PgWakeListenerOptions options)
    : url_(std::move(url)),
      channel_(std::move(channel)),
      wake_(std::move(wake)),
      options_(std::move(options)),
      errors_(Logger::Discard(), SystemClockInstance(),
              "LISTEN connection to PostgreSQL lost (reconnecting)") {}

PgWakeListener::~PgWakeListener() { Stop(); }

Result<std::unique_ptr<PgListener>> PgWakeListener::ConnectAndListen() {
  auto listener = PgListener::Connect(url_, options_.connect);
  if (!listener.ok()) return listener.status();
  if (Status s = (*listener)->Listen(channel_); !s.ok()) return s;
  return std::move(listener).value();
}

Status PgWakeListener::Start() {
  if (thread_.joinable()) return Status::Internal("the listener has already started");
  auto listener = ConnectAndListen();
  if (!listener.ok()) return listener.status();
  thread_ = std::thread([this, l = std::move(listener).value()]() mutable {
    NameThisThread("hookd-pg-listen");
    Run(std::move(l));
  });
  return Status::Ok();
}

void PgWakeListener::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PgWakeListener::Sleep(milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_; });
}

void PgWakeListener::Wake() {
  ++wakes_;
  wake_();
}

void PgWakeListener::Run(std::unique_ptr<PgListener> listener) {
  ++connections_;
  listening_ = true;
  // Anything committed before the LISTEN was not announced.
  Wake();
  auto backstop_at = steady_clock::now() + options_.backstop_poll;
  while (!stopping_) {
    if (!listener) {
      if (!Sleep(options_.reconnect_delay)) break;
      auto again = ConnectAndListen();
      if (again.ok()) {
        listener = std::move(again).value();
        ++connections_;
        listening_ = true;
        // What committed while nobody listened was announced to no one: read it now.
        Wake();
        backstop_at = steady_clock::now() + options_.backstop_poll;
      } else {
        errors_.Log(again.status().message());
      }
    } else {
      const auto left = std::chrono::duration_cast<milliseconds>(backstop_at - steady_clock::now());
      auto got = listener->Wait(std::clamp(left, milliseconds(0), options_.stop_check));
      if (!got.ok()) {
        listening_ = false;
        listener.reset();
        errors_.Log(got.status().message());
      } else if (!got->empty()) {
        Wake();
        backstop_at = steady_clock::now() + options_.backstop_poll;
      }
    }
    if (!stopping_ && steady_clock::now() >= backstop_at) {
      Wake();
      backstop_at = steady_clock::now() + options_.backstop_poll;
    }
  }
  listening_ = false;
}

}  // namespace hookd
