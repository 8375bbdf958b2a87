// PgDeliveryQueue: one node's claims on the delivery queue of a PostgreSQL shared by several
// nodes, and the writing of their results (docs/DECISIONS.md, "PostgreSQL: the delivery queue, its
// claims and endpoint owners").
//
// A node claims due deliveries only of endpoints it owns (PgEndpointOwners), with FOR UPDATE SKIP
// LOCKED over deliveries_due, in batches: each claimed row gets next_attempt_at = lease_until =
// now + lease and claimed_by = the node, so the work of a node that dies is due again when its
// lease ends and another node claims it. A claim is named by (node, lease_until): Record writes a
// result only while the delivery still carries that claim (WHERE id = $1 AND claimed_by = $2 AND
// lease_until = $3); a late result, after a takeover or after the same node's later claim,
// changes nothing and is counted as stale in the summary.
//
// What Record writes is what SQLite's AttemptRecorder writes for the same input: the attempt row,
// the delivery's new state from the retry policy (a failed manual attempt returning it where it
// was), the endpoint's failure tracking (disabled on 410 or after failing too long), circuit
// changes, released deliveries, and the same status entries, appended with CommitWithStatus in
// the same transaction. Metrics and log lines are the caller's (the summary says what to count).
// Times come from the injected Clock. Claims are thread-safe; Record uses the injected Random and
// belongs to one thread at a time (the dispatcher's), as AttemptRecorder does.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "deliver/attempt_recorder.h"
#include "deliver/circuit_breaker.h"
#include "deliver/retry_policy.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

// A delivery claimed by this node: what its attempt needs, and the claim's lease (which, with the
// node, names the claim its result must be written under).
struct PgClaimedDelivery {
  std::string delivery_id;
  std::string message_id;
  std::string endpoint_id;
  std::string app_id;
  int64_t attempts = 0;
  int retry_index = 0;
  bool manual = false;  // a manual retry's or recover's attempt (manual_return_status is set)
  int64_t due_at = 0;   // its next_attempt_at before the claim
  int64_t lease_until = 0;
};

// An attempt's result (as AttemptRecorder takes it) under the claim it was made under.
struct PgAttemptResult {
  AttemptRecord record;
  int64_t lease_until = 0;
};

// A claimed delivery handed back unattempted: due again at `due_at`, attempts untouched.
struct PgReleasedDelivery {
  std::string delivery_id;
  int64_t lease_until = 0;
  int64_t due_at = 0;
};

// What one Record wrote.
struct PgRecordSummary {
  int64_t recorded = 0;  // results written
  int64_t released = 0;  // releases written
  // Results and releases refused because their claim no longer holds (taken over, or claimed
  // again since), by delivery id in input order; nothing of theirs was written.
  std::vector<std::string> stale;
  int64_t failed_for_good = 0;     // deliveries failed for good (not by a manual attempt)
  int64_t earliest_retry = 0;      // the earliest next_attempt_at scheduled, or 0
  bool endpoints_changed = false;  // an endpoint was disabled
};

class PgDeliveryQueue {
 public:
  // A claim's usual batch.
  static constexpr int kClaimBatch = 64;

  PgDeliveryQueue(PgPool& pool, const Clock& clock, Random& random, std::string node_id,
                  RetryPolicy policy, std::chrono::milliseconds disable_after)
      : pool_(pool),
        clock_(clock),
        random_(random),
        node_id_(std::move(node_id)),
        policy_(std::move(policy)),
        disable_after_(disable_after) {}

  const std::string& node_id() const { return node_id_; }

  // Claims up to `limit` deliveries of `endpoint_id` due now, leased for `lease`. kInvalidField
  // for a `limit` or `lease` that is not positive; kConflict (code "not_owner") when this node
  // does not own the endpoint under a lease that has not ended.
  Result<std::vector<PgClaimedDelivery>> Claim(const std::string& endpoint_id, int limit,
                                               std::chrono::milliseconds lease);
  // The same over every endpoint this node owns under a live lease, `limit` in all. Both return
  // the oldest due first (by due time, then by seq).
  Result<std::vector<PgClaimedDelivery>> ClaimOwned(int limit, std::chrono::milliseconds lease);

  // Writes the results, circuit changes and releases in one transaction, with their status
  // entries, as AttemptRecorder::Record does; results and releases whose claim no longer holds
  // are skipped and listed in the summary's `stale`. An unknown delivery id is kNotFound and
  // nothing at all is written. A transaction that loses a race is run again (pg_retry.h).
  Result<PgRecordSummary> Record(const std::vector<PgAttemptResult>& results,
                                 const std::vector<CircuitChange>& circuit = {},
                                 const std::vector<PgReleasedDelivery>& released = {});

 private:
  Result<PgRecordSummary> RecordOnce(const std::vector<PgAttemptResult>& results,
                                     const std::vector<CircuitChange>& circuit,
                                     const std::vector<PgReleasedDelivery>& released);

  PgPool& pool_;
  const Clock& clock_;
  Random& random_;
  const std::string node_id_;
  const RetryPolicy policy_;
  const std::chrono::milliseconds disable_after_;
};

}  // namespace hookd
