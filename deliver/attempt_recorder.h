// AttemptRecorder: writes the outcome of delivery attempts, in batches, in one transaction each:
// the attempt row, the delivery's new state from the retry policy, the endpoint's failure
// tracking (disabling it on 410 or after failing for too long) and the status-log entries.
// Used only by the delivery engine's dispatcher thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/metrics.h"
#include "common/random.h"
#include "deliver/circuit_breaker.h"
#include "deliver/retry_policy.h"
#include "deliver/sender.h"

namespace hookd {

struct AttemptRecord {
  std::string delivery_id;
  std::string message_id;
  std::string endpoint_id;
  int64_t attempts_before = 0;  // attempts made before this one
  int retry_index = 0;          // failed attempts since last queued
  int64_t started_at = 0;
  bool attempted = true;  // false: finished without an attempt (endpoint disabled or deleted)
  SendResult result;
};

// A claimed delivery handed back unattempted (its endpoint's circuit opened, or the engine
// stops): due again at `due_at`, its attempts and retry schedule untouched.
struct ReleasedDelivery {
  std::string delivery_id;
  int64_t due_at = 0;
};

class AttemptRecorder {
 public:
  AttemptRecorder(Db& db, Metrics& metrics, const Clock& clock, Random& random, RetryPolicy policy,
                  std::chrono::milliseconds disable_after)
      : db_(db),
        metrics_(metrics),
        attempts_success_(metrics.delivery_attempts().Add({{"result", "success"}})),
        attempts_failure_(metrics.delivery_attempts().Add({{"result", "failure"}})),
        attempts_error_(metrics.delivery_attempts().Add({{"result", "error"}})),
        failures_all_(metrics.per_id() ? nullptr
                                       : &metrics.endpoint_failures().Add({{"endpoint", "all"}})),
        clock_(clock),
        random_(random),
        policy_(std::move(policy)),
        disable_after_(disable_after) {}

  // Writes every record in one transaction; on failure nothing is written (the deliveries'
  // leases then expire and the attempts are made again: at-least-once).
  // In the same transaction: each circuit change is written to its endpoint (open ones with
  // `endpoint.circuit_opened`, closings with `endpoint.circuit_closed`), and the released
  // deliveries are made due again.
  Status Record(const std::vector<AttemptRecord>& records,
                const std::vector<CircuitChange>& circuit = {},
                const std::vector<ReleasedDelivery>& released = {});
  // The earliest next_attempt_at of the retries the last committed Record scheduled, or 0.
  int64_t TakeEarliestRetry() { return std::exchange(earliest_retry_, 0); }
  // True (once) when a committed Record disabled an endpoint, so endpoint snapshots are stale.
  bool TakeEndpointsChanged() { return std::exchange(endpoints_changed_, false); }

 private:
  Status RecordOne(const AttemptRecord& r, int64_t now);
  Status WriteCircuit(const CircuitChange& c, int64_t now);
  Status Release(const ReleasedDelivery& r);
  Status ClearFailing(const std::string& endpoint_id);
  Status DisableEndpoint(const std::string& endpoint_id, const std::string& reason, int64_t now);

  Db& db_;
  Metrics& metrics_;
  // hookd_delivery_attempts_total's label handles, looked up once.
  prometheus::Counter& attempts_success_;
  prometheus::Counter& attempts_failure_;
  prometheus::Counter& attempts_error_;
  // hookd_endpoint_failures_total{endpoint="all"} without per-id labels (else looked up per id).
  prometheus::Counter* failures_all_;
  const Clock& clock_;
  Random& random_;
  const RetryPolicy policy_;
  const std::chrono::milliseconds disable_after_;
  bool endpoints_changed_ = false;
  bool pending_change_ = false;  // within the transaction being written
  int64_t pending_retry_ = 0;    // within the transaction being written
  int64_t pending_failed_ = 0;   // deliveries failed for good within it
  int64_t earliest_retry_ = 0;
  // Endpoints with a success in the batch being written, whose failing_since is not cleared yet.
  std::set<std::string> succeeded_endpoints_;
};

}  // namespace hookd
