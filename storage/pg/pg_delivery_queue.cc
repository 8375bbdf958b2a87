#include "storage/pg/pg_delivery_queue.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "common/default_app.h"
#include "common/ids.h"
#include "common/time_format.h"
#include "deliver/attempt_entries.h"
#include "deliver/delivery_wait.h"
#include "storage/pg/pg_retry.h"
#include "storage/pg/pg_rows.h"
#include "storage/pg/pg_status_log.h"

namespace hookd {
namespace {

// What a claim returns of each row, in this order.
constexpr std::string_view kClaimedColumns =
    " RETURNING d.id, d.message_id, d.endpoint_id, d.attempts, d.retry_index,"
    " d.manual_return_status IS NOT NULL, d.app_id, due.due_at, d.seq";

std::string ClaimSql(std::string_view due) {
  std::string sql(due);
  sql +=
      " UPDATE deliveries d SET next_attempt_at = $2::bigint, lease_until = $2::bigint,"
      " claimed_by = $3 FROM due WHERE d.seq = due.seq";
  sql += kClaimedColumns;
  return sql;
}

Result<std::vector<PgClaimedDelivery>> ReadClaimed(const PgResult& r, int64_t lease_until) {
  std::vector<std::pair<int64_t, PgClaimedDelivery>> out;  // by seq
  out.reserve(r.rows());
  for (int row = 0; row < r.rows(); ++row) {
    PgClaimedDelivery c;
    c.delivery_id = r.Text(row, 0);
    c.message_id = r.Text(row, 1);
    c.endpoint_id = r.Text(row, 2);
    auto attempts = r.Int(row, 3);
    if (!attempts.ok()) return attempts.status();
    auto retry_index = r.Int(row, 4);
    if (!retry_index.ok()) return retry_index.status();
    auto manual = r.Bool(row, 5);
    if (!manual.ok()) return manual.status();
    c.attempts = *attempts;
    c.retry_index = static_cast<int>(*retry_index);
    c.manual = *manual;
    c.app_id = r.Text(row, 6);
    auto due_at = r.Int(row, 7);
    if (!due_at.ok()) return due_at.status();
    auto seq = r.Int(row, 8);
    if (!seq.ok()) return seq.status();
    c.due_at = *due_at;
    c.lease_until = lease_until;
    out.emplace_back(*seq, std::move(c));
  }
  // Oldest due first, as claimed: RETURNING gives no order of its own.
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return std::tie(x.second.due_at, x.first) < std::tie(y.second.due_at, y.first);
  });
  std::vector<PgClaimedDelivery> claimed;
  claimed.reserve(out.size());
  for (auto& [seq, c] : out) claimed.push_back(std::move(c));
  return claimed;
}

Status CheckClaimArgs(int limit, std::chrono::milliseconds lease) {
  if (limit <= 0) return Status::InvalidField("a claim's batch must be positive");
  if (lease.count() <= 0) return Status::InvalidField("a claim's lease must be positive");
  return Status::Ok();
}

PgParam TextOrNull(const std::string& s) { return s.empty() ? PgParam(nullptr) : PgParam(s); }

// One Record's transaction: AttemptRecorder's steps, statement for statement, on `conn`.
class BatchWriter {
 public:
  BatchWriter(PgConn& conn, const Clock& clock, Random& random, const RetryPolicy& policy,
              std::chrono::milliseconds disable_after, const std::string& node_id, int64_t now)
      : conn_(conn),
        clock_(clock),
        random_(random),
        policy_(policy),
        disable_after_(disable_after),
        node_id_(node_id),
        now_(now) {}

  Status Write(const std::vector<PgAttemptResult>& results,
               const std::vector<CircuitChange>& circuit,
               const std::vector<PgReleasedDelivery>& released) {
    // The circuits as they are once this batch is written (its changes are written after the
    // attempts).
    for (const CircuitChange& c : circuit)
      circuits_[c.endpoint_id] = {
          CircuitStateName(c.to),
          c.to == CircuitState::kOpen ? std::optional<int64_t>(c.retry_at_ms) : std::nullopt};
    for (const PgAttemptResult& r : results) {
      if (Status s = RecordOne(r); !s.ok()) return s;
    }
    for (const CircuitChange& c : circuit) {
      if (Status s = WriteCircuit(c); !s.ok()) return s;
    }
    for (const PgReleasedDelivery& r : released) {
      if (Status s = Release(r); !s.ok()) return s;
    }
    for (const std::string& id : succeeded_endpoints_) {
      if (Status s = ClearFailing(id); !s.ok()) return s;
    }
    return Status::Ok();
  }

  PgStatusEntries& entries() { return entries_; }
  PgRecordSummary& summary() { return summary_; }

 private:
  // kNotFound when the delivery does not exist; else its claim has moved on: stale.
  Status Refused(const std::string& delivery_id) {
    auto r = conn_.Exec("SELECT 1 FROM deliveries WHERE id = $1", {delivery_id});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return PgNotFound("no delivery ", delivery_id);
    summary_.stale.push_back(delivery_id);
    return Status::Ok();
  }

  Status RecordOne(const PgAttemptResult& claimed) {
    const AttemptRecord& r = claimed.record;
    const SendResult& res = r.result;
    RetryDecision decision;
    if (r.attempted) {
      decision = DecideRetry(policy_, r.retry_index + 1, {res.status, res.retry_after}, now_,
                             random_.NextDouble());
    } else {
      decision.kind = RetryDecision::Kind::kFailed;
    }
    // The delivery first, under its claim: a late result writes nothing at all. (SQLite's
    // recorder inserts the attempt first; the rows and entries are the same.)
    const bool failed_attempt = r.attempted && decision.kind != RetryDecision::Kind::kSucceeded;
    const bool retry = decision.kind == RetryDecision::Kind::kRetry;
    auto upd = conn_.Exec(
        "UPDATE deliveries SET"
        " status = CASE WHEN $9::bigint = 1 AND manual_return_status IS NOT NULL"
        "  THEN manual_return_status ELSE $2 END,"
        " attempts = attempts + $3::bigint,"
        " retry_index = CASE WHEN $9::bigint = 1 AND manual_return_status IS NOT NULL"
        "  THEN retry_index ELSE $4::bigint END,"
        " next_attempt_at = CASE WHEN $9::bigint = 1 AND manual_return_status IS NOT NULL"
        "  THEN manual_return_at ELSE $5::bigint END,"
        " lease_until = NULL, claimed_by = NULL, last_status = $6::bigint, last_error = $7,"
        " updated_at = $8::bigint, manual_return_status = NULL, manual_return_at = NULL"
        " WHERE id = $1 AND claimed_by = $10 AND lease_until = $11::bigint"
        " RETURNING status, next_attempt_at",
        {r.delivery_id, DeliveryStatusName(decision.kind), int64_t{r.attempted ? 1 : 0},
         static_cast<int64_t>(r.retry_index + (r.attempted ? 1 : 0)),
         retry ? PgParam(decision.next_attempt_at_ms) : PgParam(nullptr),
         res.status ? PgParam(static_cast<int64_t>(res.status)) : PgParam(nullptr),
         TextOrNull(res.error), now_, int64_t{failed_attempt ? 1 : 0}, node_id_,
         claimed.lease_until});
    if (!upd.ok()) return upd.status();
    if (upd->rows() == 0) return Refused(r.delivery_id);
    ++summary_.recorded;
    const std::string status(upd->Text(0, 0));
    std::optional<int64_t> next;
    if (Status s = ReadOptionalInt(*upd, 0, 1, next); !s.ok()) return s;
    if (next && (!summary_.earliest_retry || *next < summary_.earliest_retry))
      summary_.earliest_retry = *next;

    if (r.attempted) {
      auto att = conn_.Exec(
          "INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms,"
          " response_status, response_body, error)"
          " VALUES ($1, $2, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7, $8)",
          {NewId("att", clock_, random_), r.delivery_id, r.attempts_before + 1, r.started_at,
           res.duration_ms,
           res.status ? PgParam(static_cast<int64_t>(res.status)) : PgParam(nullptr), res.body,
           TextOrNull(res.error)});
      if (!att.ok()) return att.status();
      // The same entries as AttemptRecorder writes (deliver/attempt_entries.h).
      entries_.AppendText("delivery.attempted", now_, AttemptedEntryData(r));
    }

    // What the delivery waits for now, as the API shows it: the endpoint's circuit may hold it.
    DeliveryWait wait;
    if (next) {
      auto circuit = CircuitOf(r.endpoint_id);
      if (!circuit.ok()) return circuit.status();
      wait = ScheduledWait(status, *next, circuit->first, circuit->second, now_);
    }
    std::string type = "delivery.";
    type += status;
    entries_.AppendText(type, now_, DeliveryStateEntryData(r, status, wait));
    if (status == "failed" && !r.manual) ++summary_.failed_for_good;
    if (!r.attempted) return Status::Ok();

    // A success clears the endpoint's failure tracking once per batch; a failure later in the
    // batch first applies the clear, so the order of outcomes holds.
    if (decision.kind == RetryDecision::Kind::kSucceeded) {
      succeeded_endpoints_.insert(r.endpoint_id);
      return Status::Ok();
    }
    if (succeeded_endpoints_.erase(r.endpoint_id) > 0) {
      if (Status s = ClearFailing(r.endpoint_id); !s.ok()) return s;
    }
    if (decision.kind == RetryDecision::Kind::kDisableEndpoint)
      return DisableEndpoint(r.endpoint_id, "the endpoint answered 410 Gone");
    auto fail = conn_.Exec(
        "UPDATE endpoints SET failing_since = COALESCE(failing_since, $2::bigint) WHERE id = $1"
        " RETURNING failing_since, disabled",
        {r.endpoint_id, now_});
    if (!fail.ok()) return fail.status();
    if (fail->rows() == 0) return Status::Ok();  // endpoint deleted meanwhile
    auto since = fail->Int(0, 0);
    if (!since.ok()) return since.status();
    auto disabled = fail->Int(0, 1);
    if (!disabled.ok()) return disabled.status();
    if (*disabled == 0 && now_ - *since >= disable_after_.count()) {
      std::string reason = "failing without a success since ";
      reason += FormatRfc3339(*since);
      return DisableEndpoint(r.endpoint_id, reason);
    }
    return Status::Ok();
  }

  Status WriteCircuit(const CircuitChange& c) {
    const bool open = c.to == CircuitState::kOpen;
    auto st = conn_.Exec(
        "UPDATE endpoints SET circuit = $2, circuit_retry_at = $3::bigint WHERE id = $1",
        {c.endpoint_id, CircuitStateName(c.to), open ? PgParam(c.retry_at_ms) : PgParam(nullptr)});
    if (!st.ok()) return st.status();
    if (open && c.from != CircuitState::kOpen) {
      auto app = EndpointApp(c.endpoint_id);
      if (!app.ok()) return app.status();
      entries_.Append("endpoint.circuit_opened", now_,
                      {{"app_id", *app},
                       {"endpoint_id", c.endpoint_id},
                       {"circuit", "open"},
                       {"circuit_retry_at", FormatRfc3339(c.retry_at_ms)},
                       {"reason", c.reason}});
    } else if (c.to == CircuitState::kClosed) {
      auto app = EndpointApp(c.endpoint_id);
      if (!app.ok()) return app.status();
      entries_.Append("endpoint.circuit_closed", now_,
                      {{"app_id", *app}, {"endpoint_id", c.endpoint_id}, {"circuit", "closed"}});
    }
    return Status::Ok();
  }

  Status Release(const PgReleasedDelivery& r) {
    auto st = conn_.Exec(
        "UPDATE deliveries SET next_attempt_at = $2::bigint, lease_until = NULL,"
        " claimed_by = NULL WHERE id = $1 AND claimed_by = $3 AND lease_until = $4::bigint",
        {r.delivery_id, r.due_at, node_id_, r.lease_until});
    if (!st.ok()) return st.status();
    if (st->Affected() == 0) return Refused(r.delivery_id);
    ++summary_.released;
    return Status::Ok();
  }

  Result<std::pair<std::string, std::optional<int64_t>>> CircuitOf(const std::string& endpoint_id) {
    if (auto it = circuits_.find(endpoint_id); it != circuits_.end()) return it->second;
    auto r =
        conn_.Exec("SELECT circuit, circuit_retry_at FROM endpoints WHERE id = $1", {endpoint_id});
    if (!r.ok()) return r.status();
    std::pair<std::string, std::optional<int64_t>> out{"closed", std::nullopt};
    if (r->rows() > 0) {
      out.first = r->Text(0, 0);
      if (Status s = ReadOptionalInt(*r, 0, 1, out.second); !s.ok()) return s;
    }
    return out;
  }

  Result<std::string> EndpointApp(const std::string& endpoint_id) {
    auto r = conn_.Exec("SELECT app_id FROM endpoints WHERE id = $1", {endpoint_id});
    if (!r.ok()) return r.status();
    return r->rows() > 0 ? std::string(r->Text(0, 0)) : std::string(kDefaultAppId);
  }

  Status ClearFailing(const std::string& endpoint_id) {
    auto r = conn_.Exec(
        "UPDATE endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
        {endpoint_id});
    return r.ok() ? Status::Ok() : r.status();
  }

  Status DisableEndpoint(const std::string& endpoint_id, const std::string& reason) {
    auto r = conn_.Exec(
        "UPDATE endpoints SET disabled = 1, disabled_reason = $2, updated_at = $3::bigint"
        " WHERE id = $1 AND disabled = 0",
        {endpoint_id, reason, now_});
    if (!r.ok()) return r.status();
    if (r->Affected() == 0) return Status::Ok();
    summary_.endpoints_changed = true;
    auto app = EndpointApp(endpoint_id);
    if (!app.ok()) return app.status();
    entries_.Append("endpoint.disabled", now_,
                    {{"app_id", *app}, {"endpoint_id", endpoint_id}, {"reason", reason}});
    return Status::Ok();
  }

  PgConn& conn_;
  const Clock& clock_;
  Random& random_;
  const RetryPolicy& policy_;
  const std::chrono::milliseconds disable_after_;
  const std::string& node_id_;
  const int64_t now_;
  PgStatusEntries entries_;
  PgRecordSummary summary_;
  // Endpoints with a success in the batch whose failing_since is not cleared yet.
  std::set<std::string> succeeded_endpoints_;
  // The circuit changes of the batch, by endpoint.
  std::map<std::string, std::pair<std::string, std::optional<int64_t>>> circuits_;
};

}  // namespace

Result<std::vector<PgClaimedDelivery>> PgDeliveryQueue::Claim(const std::string& endpoint_id,
                                                              int limit,
                                                              std::chrono::milliseconds lease) {
  if (Status s = CheckClaimArgs(limit, lease); !s.ok()) return s;
  const int64_t now = clock_.NowUnixMillis();
  const int64_t lease_until = now + lease.count();
  return RetryPgTransaction([&]() -> Result<std::vector<PgClaimedDelivery>> {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    auto txn = PgTransaction::Begin(**conn);
    if (!txn.ok()) return txn.status();
    // The owner's row is share-locked until the claim commits: a takeover (which updates it)
    // waits for the claim, or the claim waits for the takeover and then sees it.
    auto owner = (*conn)->Exec(
        "SELECT 1 FROM endpoint_owners WHERE endpoint_id = $1 AND node_id = $2"
        " AND lease_until > $3::bigint FOR SHARE",
        {endpoint_id, node_id_, now});
    if (!owner.ok()) return owner.status();
    if (owner->rows() == 0) {
      std::string message = "node ";
      message += node_id_;
      message += " does not own endpoint ";
      message += endpoint_id;
      return Status::Conflict("not_owner", message);
    }
    auto r =
        (*conn)->Exec(ClaimSql("WITH due AS (SELECT seq, next_attempt_at AS due_at FROM deliveries"
                               "  WHERE endpoint_id = $4"
                               "  AND next_attempt_at IS NOT NULL AND next_attempt_at <= $1::bigint"
                               "  ORDER BY next_attempt_at, seq LIMIT $5 FOR UPDATE SKIP LOCKED)"),
                      {now, lease_until, node_id_, endpoint_id, static_cast<int64_t>(limit)});
    if (!r.ok()) return r.status();
    auto claimed = ReadClaimed(*r, lease_until);
    if (!claimed.ok()) return claimed.status();
    if (Status s = (*txn)->Commit(); !s.ok()) return s;
    return claimed;
  });
}

Result<std::vector<PgClaimedDelivery>> PgDeliveryQueue::ClaimOwned(
    int limit, std::chrono::milliseconds lease) {
  if (Status s = CheckClaimArgs(limit, lease); !s.ok()) return s;
  const int64_t now = clock_.NowUnixMillis();
  const int64_t lease_until = now + lease.count();
  return RetryPgTransaction([&]() -> Result<std::vector<PgClaimedDelivery>> {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    // Each owned endpoint's due deliveries from deliveries_due; the owners' rows are share-locked
    // as in Claim (a takeover in progress is waited for, then the row is checked again).
    auto r = (*conn)->Exec(
        ClaimSql("WITH due AS (SELECT d.seq, d.next_attempt_at AS due_at"
                 "  FROM endpoint_owners o JOIN deliveries d"
                 "  ON d.endpoint_id = o.endpoint_id"
                 "  WHERE o.node_id = $3 AND o.lease_until > $1::bigint"
                 "  AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $1::bigint"
                 "  ORDER BY d.next_attempt_at, d.seq LIMIT $4"
                 "  FOR UPDATE OF d SKIP LOCKED FOR SHARE OF o)"),
        {now, lease_until, node_id_, static_cast<int64_t>(limit)});
    if (!r.ok()) return r.status();
    return ReadClaimed(*r, lease_until);
  });
}

Result<PgRecordSummary> PgDeliveryQueue::Record(const std::vector<PgAttemptResult>& results,
                                                const std::vector<CircuitChange>& circuit,
                                                const std::vector<PgReleasedDelivery>& released) {
  if (results.empty() && circuit.empty() && released.empty()) return PgRecordSummary{};
  return RetryPgTransaction([&] { return RecordOnce(results, circuit, released); });
}

Result<PgRecordSummary> PgDeliveryQueue::RecordOnce(
    const std::vector<PgAttemptResult>& results, const std::vector<CircuitChange>& circuit,
    const std::vector<PgReleasedDelivery>& released) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  BatchWriter writer(**conn, clock_, random_, policy_, disable_after_, node_id_,
                     clock_.NowUnixMillis());
  if (Status s = writer.Write(results, circuit, released); !s.ok()) return s;
  auto committed = CommitWithStatus(**txn, std::move(writer.entries()));
  if (!committed.ok()) return committed.status();
  return std::move(writer.summary());
}

}  // namespace hookd
