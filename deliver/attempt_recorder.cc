#include "deliver/attempt_recorder.h"

#include "common/default_app.h"
#include "common/ids.h"
#include "common/status_log.h"
#include "common/time_format.h"
#include "deliver/attempt_entries.h"
#include "deliver/delivery_wait.h"

namespace hookd {
namespace {}  // namespace

Status AttemptRecorder::Record(const std::vector<AttemptRecord>& records,
                               const std::vector<CircuitChange>& circuit,
                               const std::vector<ReleasedDelivery>& released) {
  if (records.empty() && circuit.empty() && released.empty()) return Status::Ok();
  auto txn = Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  const int64_t now = clock_.NowUnixMillis();
  pending_change_ = false;
  pending_retry_ = 0;
  pending_lines_.clear();
  pending_failed_ = 0;
  succeeded_endpoints_.clear();
  // The circuits as they are once this batch is written (its changes are written after the
  // attempts).
  batch_circuits_.clear();
  for (const CircuitChange& c : circuit)
    batch_circuits_[c.endpoint_id] = {
        CircuitStateName(c.to),
        c.to == CircuitState::kOpen ? std::optional<int64_t>(c.retry_at_ms) : std::nullopt};
  Status s;
  for (const AttemptRecord& r : records) {
    if (s = RecordOne(r, now); !s.ok()) break;
  }
  for (auto it = circuit.begin(); s.ok() && it != circuit.end(); ++it) s = WriteCircuit(*it, now);
  for (auto it = released.begin(); s.ok() && it != released.end(); ++it) s = Release(*it);
  for (auto it = succeeded_endpoints_.begin(); s.ok() && it != succeeded_endpoints_.end(); ++it)
    s = ClearFailing(*it);
  db_.ResetCached();
  if (s.ok()) s = (*txn)->Commit();
  if (s.ok()) {
    for (const PendingLine& line : pending_lines_) logger_.Log(line.level, line.msg, line.fields);
  }
  pending_lines_.clear();
  if (s.ok() && pending_change_) endpoints_changed_ = true;
  if (s.ok() && pending_failed_)
    metrics_.deliveries_failed().Increment(static_cast<double>(pending_failed_));
  if (s.ok() && pending_retry_ && (!earliest_retry_ || pending_retry_ < earliest_retry_))
    earliest_retry_ = pending_retry_;
  return s;
}

Status AttemptRecorder::WriteCircuit(const CircuitChange& c, int64_t now) {
  auto st = db_.Cached("UPDATE endpoints SET circuit = ?2, circuit_retry_at = ?3 WHERE id = ?1");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, c.endpoint_id).Bind(2, CircuitStateName(c.to));
  if (c.to == CircuitState::kOpen)
    (*st)->Bind(3, c.retry_at_ms);
  else
    (*st)->BindNull(3);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if (c.to == CircuitState::kOpen && c.from != CircuitState::kOpen) {
    pending_lines_.push_back({LogLevel::kWarn,
                              "circuit opened",
                              {{"endpoint_id", c.endpoint_id},
                               {"reason", c.reason},
                               {"retry_at", FormatRfc3339(c.retry_at_ms)}}});
    auto app = EndpointApp(c.endpoint_id);
    if (!app.ok()) return app.status();
    return AppendStatus(db_, "endpoint.circuit_opened", now,
                        {{"app_id", *app},
                         {"endpoint_id", c.endpoint_id},
                         {"circuit", "open"},
                         {"circuit_retry_at", FormatRfc3339(c.retry_at_ms)},
                         {"reason", c.reason}});
  }
  if (c.to == CircuitState::kClosed) {
    pending_lines_.push_back({LogLevel::kInfo, "circuit closed", {{"endpoint_id", c.endpoint_id}}});
    auto app = EndpointApp(c.endpoint_id);
    if (!app.ok()) return app.status();
    return AppendStatus(db_, "endpoint.circuit_closed", now,
                        {{"app_id", *app}, {"endpoint_id", c.endpoint_id}, {"circuit", "closed"}});
  }
  return Status::Ok();
}

Result<std::pair<std::string, std::optional<int64_t>>> AttemptRecorder::CircuitOf(
    const std::string& endpoint_id) {
  if (auto it = batch_circuits_.find(endpoint_id); it != batch_circuits_.end()) return it->second;
  auto st = db_.Cached("SELECT circuit, circuit_retry_at FROM endpoints WHERE id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, endpoint_id).Step();
  if (!row.ok()) return row.status();
  std::pair<std::string, std::optional<int64_t>> out{"closed", std::nullopt};
  if (*row) {
    out.first = (*st)->Text(0);
    if (!(*st)->IsNull(1)) out.second = (*st)->Int(1);
  }
  (*st)->Reset();
  return out;
}

Status AttemptRecorder::Release(const ReleasedDelivery& r) {
  // Only a delivery still leased is touched: one finished meanwhile stays finished.
  auto st = db_.Cached(
      "UPDATE deliveries SET next_attempt_at = ?2, lease_until = NULL"
      " WHERE id = ?1 AND lease_until IS NOT NULL");
  if (!st.ok()) return st.status();
  return (*st)->Bind(1, r.delivery_id).Bind(2, r.due_at).Run();
}

Status AttemptRecorder::RecordOne(const AttemptRecord& r, int64_t now) {
  const SendResult& res = r.result;
  RetryDecision decision;
  if (!r.attempted) {
    decision.kind = RetryDecision::Kind::kFailed;
  } else {
    decision = DecideRetry(policy_, r.retry_index + 1, {res.status, res.retry_after}, now,
                           random_.NextDouble());
    auto att = db_.Cached(
        "INSERT INTO attempts (id, delivery_id, number, started_at, duration_ms, response_status,"
        " response_body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!att.ok()) return att.status();
    Stmt& st = **att;
    st.Bind(1, NewId("att", clock_, random_)).Bind(2, r.delivery_id);
    st.Bind(3, r.attempts_before + 1).Bind(4, r.started_at).Bind(5, res.duration_ms);
    if (res.status)
      st.Bind(6, static_cast<int64_t>(res.status));
    else
      st.BindNull(6);
    st.Bind(7, res.body);
    if (res.error.empty())
      st.BindNull(8);
    else
      st.Bind(8, res.error);
    if (Status s = st.Run(); !s.ok()) return s;

    const bool ok = decision.kind == RetryDecision::Kind::kSucceeded;
    (ok ? attempts_success_ : res.status ? attempts_failure_ : attempts_error_).Increment();
    metrics_.delivery_duration().Observe(static_cast<double>(res.duration_ms) / 1000.0);
    if (!ok) {
      (failures_all_ ? *failures_all_
                     : metrics_.endpoint_failures().Add({{"endpoint", r.endpoint_id}}))
          .Increment();
    }
    // Two entries per attempt (deliver/attempt_entries.h).
    if (Status s = AppendStatusText(db_, "delivery.attempted", now, AttemptedEntryData(r)); !s.ok())
      return s;
  }

  // A failed manual attempt returns the delivery to where it was (manual_return_*, set by a
  // manual retry or recover): its status, retry index and next_attempt_at are kept.
  const bool failed_attempt = r.attempted && decision.kind != RetryDecision::Kind::kSucceeded;
  const bool retry = decision.kind == RetryDecision::Kind::kRetry;
  auto upd = db_.Cached(
      "UPDATE deliveries SET"
      " status = CASE WHEN ?9 AND manual_return_status IS NOT NULL THEN manual_return_status"
      "  ELSE ?2 END,"
      " attempts = attempts + ?3,"
      " retry_index = CASE WHEN ?9 AND manual_return_status IS NOT NULL THEN retry_index"
      "  ELSE ?4 END,"
      " next_attempt_at = CASE WHEN ?9 AND manual_return_status IS NOT NULL THEN manual_return_at"
      "  ELSE ?5 END,"
      " lease_until = NULL, last_status = ?6, last_error = ?7, updated_at = ?8,"
      " manual_return_status = NULL, manual_return_at = NULL"
      " WHERE id = ?1 RETURNING status, next_attempt_at");
  if (!upd.ok()) return upd.status();
  Stmt& st = **upd;
  st.Bind(1, r.delivery_id).Bind(2, DeliveryStatusName(decision.kind));
  st.Bind(3, static_cast<int64_t>(r.attempted ? 1 : 0))
      .Bind(4, static_cast<int64_t>(r.retry_index + (r.attempted ? 1 : 0)));
  if (retry)
    st.Bind(5, decision.next_attempt_at_ms);
  else
    st.BindNull(5);
  if (res.status)
    st.Bind(6, static_cast<int64_t>(res.status));
  else
    st.BindNull(6);
  if (res.error.empty())
    st.BindNull(7);
  else
    st.Bind(7, res.error);
  st.Bind(8, now).Bind(9, static_cast<int64_t>(failed_attempt ? 1 : 0));
  auto updated = st.Step();
  if (!updated.ok()) return updated.status();
  if (!*updated) return Status::Ok();  // deleted meanwhile (retention never deletes a leased one)
  const std::string status = st.Text(0);
  const std::optional<int64_t> next =
      st.IsNull(1) ? std::nullopt : std::optional<int64_t>(st.Int(1));
  if (Status s = st.Run(); !s.ok()) return s;
  if (next && (!pending_retry_ || *next < pending_retry_)) pending_retry_ = *next;

  // What the delivery waits for now, as the API shows it: the endpoint's circuit may hold it.
  DeliveryWait wait;
  if (next) {
    auto circuit = CircuitOf(r.endpoint_id);
    if (!circuit.ok()) return circuit.status();
    wait = ScheduledWait(status, *next, circuit->first, circuit->second, now);
  }
  std::string type = "delivery.";
  type += status;
  if (Status s = AppendStatusText(db_, type, now, DeliveryStateEntryData(r, status, wait)); !s.ok())
    return s;
  // Failed for good: the last scheduled attempt failed, or the endpoint is gone. A failed manual
  // attempt on a delivery that was already failed returns it there; it is not a second failure.
  if (status == "failed" && !r.manual) {
    ++pending_failed_;
    std::vector<LogField> fields = {{"delivery_id", r.delivery_id},
                                    {"message_id", r.message_id},
                                    {"endpoint_id", r.endpoint_id},
                                    {"attempts", r.attempts_before + (r.attempted ? 1 : 0)}};
    if (res.status) fields.emplace_back("last_status", res.status);
    if (!res.error.empty()) fields.emplace_back("last_error", res.error);
    pending_lines_.push_back({LogLevel::kWarn, "delivery failed for good", std::move(fields)});
  }
  if (!r.attempted) return Status::Ok();

  // A success clears the endpoint's failure tracking once per batch (not once per delivery);
  // a failure later in the batch first applies the clear, so the order of outcomes holds.
  if (decision.kind == RetryDecision::Kind::kSucceeded) {
    succeeded_endpoints_.insert(r.endpoint_id);
    return Status::Ok();
  }
  if (succeeded_endpoints_.erase(r.endpoint_id) > 0) {
    if (Status s = ClearFailing(r.endpoint_id); !s.ok()) return s;
  }
  if (decision.kind == RetryDecision::Kind::kDisableEndpoint)
    return DisableEndpoint(r.endpoint_id, "the endpoint answered 410 Gone", now);
  // A failure: remember when the failing started, and disable after too long without success.
  auto fail = db_.Cached(
      "UPDATE endpoints SET failing_since = COALESCE(failing_since, ?2) WHERE id = ?1"
      " RETURNING failing_since, disabled");
  if (!fail.ok()) return fail.status();
  auto row = (*fail)->Bind(1, r.endpoint_id).Bind(2, now).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();  // endpoint deleted meanwhile
  const int64_t since = (*fail)->Int(0);
  const bool disabled = (*fail)->Int(1) != 0;
  if (Status s = (*fail)->Run(); !s.ok()) return s;
  if (!disabled && now - since >= disable_after_.count())
    return DisableEndpoint(r.endpoint_id, "failing without a success since " + FormatRfc3339(since),
                           now);
  return Status::Ok();
}

Status AttemptRecorder::ClearFailing(const std::string& endpoint_id) {
  auto st = db_.Cached(
      "UPDATE endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL");
  if (!st.ok()) return st.status();
  return (*st)->Bind(1, endpoint_id).Run();
}

Status AttemptRecorder::DisableEndpoint(const std::string& endpoint_id, const std::string& reason,
                                        int64_t now) {
  auto st = db_.Cached(
      "UPDATE endpoints SET disabled = 1, disabled_reason = ?2, updated_at = ?3"
      " WHERE id = ?1 AND disabled = 0");
  if (!st.ok()) return st.status();
  if (Status s = (*st)->Bind(1, endpoint_id).Bind(2, reason).Bind(3, now).Run(); !s.ok()) return s;
  if (db_.Changes() == 0) return Status::Ok();
  pending_change_ = true;
  pending_lines_.push_back(
      {LogLevel::kWarn, "endpoint disabled", {{"endpoint_id", endpoint_id}, {"reason", reason}}});
  auto app = EndpointApp(endpoint_id);
  if (!app.ok()) return app.status();
  return AppendStatus(db_, "endpoint.disabled", now,
                      {{"app_id", *app}, {"endpoint_id", endpoint_id}, {"reason", reason}});
}

Result<std::string> AttemptRecorder::EndpointApp(const std::string& endpoint_id) {
  auto st = db_.Cached("SELECT app_id FROM endpoints WHERE id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, endpoint_id).Step();
  if (!row.ok()) return row.status();
  std::string app = *row ? (*st)->Text(0) : std::string(kDefaultAppId);
  (*st)->Reset();
  return app;
}

}  // namespace hookd
