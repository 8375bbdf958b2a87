#include "deliver/endpoint_cache.h"

namespace hookd {

Result<EndpointCache::Snapshot> EndpointCache::Get() {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_ && !stale_ && now - loaded_at_ms_ < ttl_.count()) return snapshot_;
  auto all = store_.All();
  if (!all.ok()) {
    if (snapshot_) return snapshot_;
    return all.status();
  }
  snapshot_ = std::make_shared<const EndpointSnapshot>(std::move(all).value());
  loaded_at_ms_ = now;
  stale_ = false;
  return snapshot_;
}

void EndpointCache::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
}

const Endpoint* EndpointCache::Find(const Snapshot& snapshot, const std::string& id) {
  return snapshot->Find(id);
}

EndpointSnapshot::EndpointSnapshot(std::vector<Endpoint> endpoints)
    : std::vector<Endpoint>(std::move(endpoints)) {
  index_.reserve(size());
  for (size_t i = 0; i < size(); ++i) index_.emplace((*this)[i].id, i);
}

const Endpoint* EndpointSnapshot::Find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &(*this)[it->second];
}

}  // namespace hookd
