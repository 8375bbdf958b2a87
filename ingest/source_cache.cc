#include "ingest/source_cache.h"

#include "common/ids.h"

namespace hookd {

SourceCache::SourceCache(SourceStore& store, Metrics& metrics, const Clock& clock,
                         std::chrono::milliseconds ttl)
    : store_(store),
      metrics_(metrics),
      clock_(clock),
      ttl_(ttl),
      unknown_(metrics, "unknown", "unknown") {}

Result<std::shared_ptr<const SourceEntry>> SourceCache::Get(const std::string& id) {
  const int64_t now = clock_.NowUnixMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && now - it->second->loaded_at_ms < ttl_.count()) return it->second;
  }
  // Ids that cannot exist never reach the database.
  if (!LooksLikeId("src", id)) return Status::NotFound("no source " + id);
  auto source = store_.Get(id);
  if (!source.ok()) {
    if (source.status().kind() == ErrorKind::kNotFound) Invalidate(id);
    return source.status();
  }
  auto entry = std::make_shared<SourceEntry>(std::move(source).value(), metrics_);
  entry->loaded_at_ms = now;
  if (!entry->verifier) return Status::Internal("source " + id + " has an unknown provider");
  std::lock_guard<std::mutex> lock(mu_);
  entries_[id] = entry;
  return std::shared_ptr<const SourceEntry>(entry);
}

void SourceCache::Invalidate(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(id);
}

}  // namespace hookd
