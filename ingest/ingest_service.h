// IngestService: verify -> dedup -> commit for one provider request (API.md, "Sources and
// ingest"). Checks run cheapest first: the source, the body size, the content type, the
// signature, then the body; an accepted event goes to the GroupCommitter and is answered only
// after its transaction commits. Every request is counted in hookd_ingest_requests_total.
// A source whose signatures fail is logged: its first failure at once, then at most one line per
// interval that counts the failures since the last. Thread-safe.
#pragma once

#include <functional>
#include <string>

#include "common/clock.h"
#include "common/http_types.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "common/metrics.h"
#include "common/random.h"
#include "ingest/group_committer.h"
#include "ingest/source_cache.h"

namespace hookd {

class IngestService {
 public:
  using Done = std::function<void(Result<IngestOutcome>)>;

  IngestService(SourceCache& sources, GroupCommitter& committer, Metrics& metrics,
                const Clock& clock, Random& random, size_t max_body_bytes,
                const Logger& logger = Logger::Discard(),
                std::chrono::milliseconds signature_log_interval = std::chrono::minutes(1));

  // Calls `done` exactly once: with {id, duplicate} after the commit, or with the error
  // (404 not_found, 413 payload_too_large, 415 unsupported_media_type, 401 invalid_signature /
  // timestamp_out_of_tolerance, 400 invalid_json / missing_event_id, 503 unavailable). A rejected
  // request stores nothing. `done` may run on the committer's thread.
  // `request_id` goes into the log line of a signature failure.
  void Ingest(const std::string& source_id, const Headers& headers, std::string body, Done done,
              std::string_view request_id = {});

 private:
  SourceCache& sources_;
  GroupCommitter& committer_;
  Metrics& metrics_;
  const Clock& clock_;
  Random& random_;
  const size_t max_body_bytes_;
  const Logger& logger_;
  LogThrottle signature_failures_;  // per source id
};

}  // namespace hookd
