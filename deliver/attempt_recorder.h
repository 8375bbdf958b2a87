// AttemptRecorder: writes the outcome of delivery attempts, in batches, in one transaction each:
// the attempt row, the delivery's new state from the retry policy, the endpoint's failure
// tracking (disabling it on 410 or after failing for too long) and the status-log entries.
// Once a batch is committed, the changes an operator cares about are logged: a circuit opened or
// closed, an endpoint disabled, a delivery failed for good.
// Used only by the delivery engine's dispatcher thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
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
  std::string app_id;           // the delivery's application, carried by its status entries
  int64_t attempts_before = 0;  // attempts made before this one
  int retry_index = 0;          // failed attempts since last queued
  int64_t started_at = 0;
  bool attempted = true;  // false: finished without an attempt (endpoint disabled or deleted)
  bool manual = false;    // a manual retry's or recover's attempt (it returns a failure)
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
                  std::chrono::milliseconds disable_after, const Logger& logger = Logger::Discard())
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
        disable_after_(disable_after),
        logger_(logger) {}

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
  // The endpoint's circuit (state name, retry time when open) once the batch is written.
  Result<std::pair<std::string, std::optional<int64_t>>> CircuitOf(const std::string& endpoint_id);
  // The endpoint's application (the default's for an endpoint deleted meanwhile).
  Result<std::string> EndpointApp(const std::string& endpoint_id);
  Status ClearFailing(const std::string& endpoint_id);
  Status DisableEndpoint(const std::string& endpoint_id, const std::string& reason, int64_t now);

  // A line to log once the transaction that made the change commits.
  struct PendingLine {
    LogLevel level;
    std::string msg;
    std::vector<LogField> fields;
  };

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
  const Logger& logger_;
  std::vector<PendingLine> pending_lines_;  // within the transaction being written
  bool endpoints_changed_ = false;
  bool pending_change_ = false;  // within the transaction being written
  int64_t pending_retry_ = 0;    // within the transaction being written
  int64_t pending_failed_ = 0;   // deliveries failed for good within it
  int64_t earliest_retry_ = 0;
  // Endpoints with a success in the batch being written, whose failing_since is not cleared yet.
  std::set<std::string> succeeded_endpoints_;
  // The circuit changes of the batch being written, by endpoint.
  std::map<std::string, std::pair<std::string, std::optional<int64_t>>> batch_circuits_;
};

}  // namespace hookd
