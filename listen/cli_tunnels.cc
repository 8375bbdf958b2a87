#include "listen/cli_tunnels.h"

namespace hookd {

void CliTunnels::Attach(const std::string& endpoint_id, std::shared_ptr<CliTunnel> tunnel) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[endpoint_id] = {std::move(tunnel), 0};
}

void CliTunnels::Detach(const std::string& endpoint_id, const CliTunnel* tunnel) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(endpoint_id);
  if (it == entries_.end() || it->second.tunnel.get() != tunnel) return;
  it->second = {nullptr, clock_.NowUnixMillis()};
}

void CliTunnels::NoteDetached(const std::string& endpoint_id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.try_emplace(endpoint_id, Entry{nullptr, clock_.NowUnixMillis()});
}

void CliTunnels::Forget(const std::string& endpoint_id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(endpoint_id);
}

std::shared_ptr<CliTunnel> CliTunnels::Find(const std::string& endpoint_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(endpoint_id);
  return it == entries_.end() ? nullptr : it->second.tunnel;
}

std::vector<std::string> CliTunnels::DetachedLongerThan(std::chrono::milliseconds grace,
                                                        int64_t now_ms) const {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, e] : entries_)
    if (!e.tunnel && now_ms - e.detached_at > grace.count()) out.push_back(id);
  return out;
}

size_t CliTunnels::attached() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [id, e] : entries_) n += e.tunnel ? 1 : 0;
  return n;
}

void TunnelingSender::SendAsync(OutboundRequest request, std::chrono::milliseconds deadline,
                                Done done) {
  if (!request.cli) {
    http_.SendAsync(std::move(request), deadline, std::move(done));
    return;
  }
  std::shared_ptr<CliTunnel> tunnel = tunnels_.Find(request.endpoint_id);
  if (!tunnel) {
    SendResult r;
    r.error = "no hookd listen is connected for this endpoint";
    r.not_connected = true;
    done(std::move(r));
    return;
  }
  request.headers.emplace_back("content-type", "application/json");
  request.headers.emplace_back("user-agent", user_agent_);
  tunnel->Deliver(std::move(request), deadline, std::move(done));
}

}  // namespace hookd
