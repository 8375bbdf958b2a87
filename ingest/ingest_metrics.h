// IngestCounters: the hookd_ingest_requests_total{source, provider, result} handles of one
// source label (its id with HOOKD_METRICS_PER_ID, else "all"; "unknown" for unknown sources),
// looked up once (when the source is loaded) and then indexed by result per request.
// Thread-safe (prometheus-cpp counters are atomic).
#pragma once

#include <array>
#include <string>

#include "common/metrics.h"
#include "common/status.h"

namespace hookd {

enum class IngestResult {
  kAccepted,
  kDuplicate,
  kInvalidSignature,
  kTimestampOutOfTolerance,
  kMissingEventId,
  kInvalidJson,
  kUnsupportedMediaType,
  kPayloadTooLarge,
  kNotFound,
  kUnavailable,
  kInternal,
  kCount,
};

// The metric label: "accepted", "duplicate", or the JSON error code.
const char* IngestResultName(IngestResult r);
// The result a rejected request's Status counts as.
IngestResult IngestResultFor(const Status& s);

class IngestCounters {
 public:
  IngestCounters(Metrics& metrics, const std::string& source, const std::string& provider);
  void Count(IngestResult r) const { counters_[static_cast<size_t>(r)]->Increment(); }

 private:
  std::array<prometheus::Counter*, static_cast<size_t>(IngestResult::kCount)> counters_{};
};

}  // namespace hookd
