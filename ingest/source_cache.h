// SourceCache: the sources ingest looks up on every request, kept in memory with their verifier
// and metric handles. An entry is reloaded from the store when older than the TTL, so changes
// made by another hookd process on the same database are seen within the TTL; changes made in
// this process invalidate the entry at once. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "ingest/ingest_metrics.h"
#include "ingest/source.h"
#include "ingest/source_store.h"
#include "ingest/verifier.h"

namespace hookd {

struct SourceEntry {
  SourceEntry(Source s, Metrics& metrics)
      : source(std::move(s)),
        verifier(MakeVerifier(source.provider)),
        counters(metrics, metrics.IdLabel(source.id), source.provider) {}
  Source source;
  std::unique_ptr<Verifier> verifier;
  IngestCounters counters;
  int64_t loaded_at_ms = 0;
};

class SourceCache {
 public:
  SourceCache(SourceStore& store, Metrics& metrics, const Clock& clock,
              std::chrono::milliseconds ttl = std::chrono::seconds(2));

  // The source and its verifier; 404 not_found when there is no such source.
  Result<std::shared_ptr<const SourceEntry>> Get(const std::string& id);
  void Invalidate(const std::string& id);
  // Counters for requests to sources that do not exist (source="unknown").
  const IngestCounters& unknown_counters() const { return unknown_; }

 private:
  SourceStore& store_;
  Metrics& metrics_;
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  const IngestCounters unknown_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const SourceEntry>> entries_;  // guarded by mu_
};

}  // namespace hookd
