#include "deliver/endpoint_cache.h"

#include <algorithm>

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
  std::vector<Endpoint> endpoints = std::move(all).value();
  // The store lists them by id already (SQLite's BINARY collation is std::string's order); Find
  // relies on it.
  const auto by_id = [](const Endpoint& a, const Endpoint& b) { return a.id < b.id; };
  if (!std::is_sorted(endpoints.begin(), endpoints.end(), by_id))
    std::sort(endpoints.begin(), endpoints.end(), by_id);
  snapshot_ = std::make_shared<const std::vector<Endpoint>>(std::move(endpoints));
  loaded_at_ms_ = now;
  stale_ = false;
  return snapshot_;
}

void EndpointCache::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
}

const Endpoint* EndpointCache::Find(const Snapshot& snapshot, const std::string& id) {
  // Binary search: the delivery engine looks up every due endpoint and every started job, and a
  // linear scan of 10,000 endpoints made that most of the dispatcher's time.
  auto it = std::lower_bound(snapshot->begin(), snapshot->end(), id,
                             [](const Endpoint& e, const std::string& key) { return e.id < key; });
  return it != snapshot->end() && it->id == id ? &*it : nullptr;
}

}  // namespace hookd
