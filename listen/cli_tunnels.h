// CliTunnels: the connected `hookd listen` commands of this process, by the endpoint (kind "cli")
// each one serves, and when each endpoint lost its command (for ListenEndpoints' reaping).
// TunnelingSender: the AsyncSender the delivery engine uses: an attempt for a cli endpoint goes
// to its tunnel, every other one to the HTTP sender. A cli endpoint's attempt never goes out
// over HTTP: without a connected command it is not an attempt (SendResult::not_connected; due
// again shortly), so deliveries wait for a command that reconnects.
//
// Thread-safety: all of it is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "deliver/async_sender.h"

namespace hookd {

// One connected command. Deliver has AsyncSender::SendAsync's contract.
class CliTunnel {
 public:
  virtual ~CliTunnel() = default;
  virtual void Deliver(OutboundRequest request, std::chrono::milliseconds deadline,
                       AsyncSender::Done done) = 0;
};

class CliTunnels {
 public:
  explicit CliTunnels(const Clock& clock) : clock_(clock) {}

  // `tunnel` serves `endpoint_id` from now on (a reconnected command replaces the old one).
  void Attach(const std::string& endpoint_id, std::shared_ptr<CliTunnel> tunnel);
  // `tunnel` is gone: when it still serves `endpoint_id`, the endpoint is detached from now.
  void Detach(const std::string& endpoint_id, const CliTunnel* tunnel);
  // A cli endpoint with no command yet (found at start-up): detached from now unless attached.
  void NoteDetached(const std::string& endpoint_id);
  // The endpoint is removed: nothing is kept of it.
  void Forget(const std::string& endpoint_id);
  std::shared_ptr<CliTunnel> Find(const std::string& endpoint_id) const;
  // The endpoints detached for longer than `grace` at `now_ms`.
  std::vector<std::string> DetachedLongerThan(std::chrono::milliseconds grace,
                                              int64_t now_ms) const;
  size_t attached() const;

 private:
  struct Entry {
    std::shared_ptr<CliTunnel> tunnel;  // null while detached
    int64_t detached_at = 0;
  };
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

class TunnelingSender final : public AsyncSender {
 public:
  // `user_agent` is sent on tunnelled attempts as the HTTP sender sends it.
  TunnelingSender(AsyncSender& http, CliTunnels& tunnels, std::string user_agent)
      : http_(http), tunnels_(tunnels), user_agent_(std::move(user_agent)) {}
  void SendAsync(OutboundRequest request, std::chrono::milliseconds deadline, Done done) override;

 private:
  AsyncSender& http_;
  CliTunnels& tunnels_;
  const std::string user_agent_;
};

}  // namespace hookd
