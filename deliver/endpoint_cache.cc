#include "deliver/endpoint_cache.h"

namespace hookd {

Result<EndpointCache::Snapshot> EndpointCache::Get() {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshot_ && !stale_ && now - loaded_at_ms_ < ttl_.count()) return snapshot_;
  // Every change the engine reads moves the endpoints version (migrations/0018): one SELECT says
  // whether the snapshot is still current, instead of reloading every endpoint each TTL.
  if (snapshot_) {
    if (auto version = store_.Version(); version.ok() && *version == version_) {
      loaded_at_ms_ = now;
      stale_ = false;
      return snapshot_;
    }
  }
  auto all = store_.AllVersioned();
  if (!all.ok()) {
    if (snapshot_) return snapshot_;
    return all.status();
  }
  snapshot_ = std::make_shared<const EndpointSnapshot>(std::move(all->endpoints));
  version_ = all->version;
  loaded_at_ms_ = now;
  stale_ = false;
  return snapshot_;
}

Result<EndpointCache::Snapshot> EndpointCache::GetIn(Db& db) {
  auto version = EndpointStore::VersionIn(db);
  if (!version.ok()) return version.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The version covers every column fan-out reads, so neither the TTL nor Invalidate() (made
    // for the engine's columns too) matters here.
    if (snapshot_ && version_ == *version) return snapshot_;
  }
  // Outside the lock: the engine's Get() does not wait behind this transaction's reads.
  auto all = EndpointStore::AllIn(db);
  if (!all.ok()) return all.status();
  return Install(std::move(all).value(), clock_.NowUnixMillis());
}

EndpointCache::Snapshot EndpointCache::Install(VersionedEndpoints loaded, int64_t now) {
  auto snapshot = std::make_shared<const EndpointSnapshot>(std::move(loaded.endpoints));
  std::lock_guard<std::mutex> lock(mu_);
  if (!snapshot_ || loaded.version >= version_) {
    snapshot_ = snapshot;
    version_ = loaded.version;
    loaded_at_ms_ = now;
    stale_ = false;
  }
  return snapshot;
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
  for (size_t i = 0; i < size(); ++i) {
    index_.emplace((*this)[i].id, i);
    by_app_[(*this)[i].app_id].push_back(i);
  }
}

const std::vector<size_t>& EndpointSnapshot::OfApp(const std::string& app_id) const {
  static const std::vector<size_t> kNone;
  auto it = by_app_.find(app_id);
  return it == by_app_.end() ? kNone : it->second;
}

const Endpoint* EndpointSnapshot::Find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &(*this)[it->second];
}

}  // namespace hookd
