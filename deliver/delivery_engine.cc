#include "deliver/delivery_engine.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "common/json_text.h"
#include "common/thread_name.h"
#include "deliver/delivery_headers.h"
#include "deliver/signer.h"
#include "deliver/waiting_endpoints_sql.h"

namespace hookd {
namespace {

// Deliveries of a disabled or deleted endpoint ended per claim (they need no slot).
constexpr int kUnattemptableBatch = 512;

}  // namespace

DeliveryEngine::DeliveryEngine(DbPool& pool, EndpointCache& endpoints, AsyncSender& sender,
                               Metrics& metrics, const Clock& clock, Random& random,
                               DeliveryEngineOptions options)
    : pool_(pool),
      endpoints_(endpoints),
      sender_(sender),
      metrics_(metrics),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      local_failures_(metrics.delivery_local_failures()),
      breaker_(options_.circuit),
      scheduler_({options_.per_endpoint_concurrency, options_.max_inflight, 4}, breaker_) {
  record_errors_.SetLogger(logger());
  local_errors_.SetLogger(logger());
}

DeliveryEngine::~DeliveryEngine() { Stop(); }

AttemptRecord DeliveryEngine::RecordFor(const DeliveryJob& job, int64_t started_at) {
  AttemptRecord r;
  r.delivery_id = job.delivery_id;
  r.message_id = job.message_id;
  r.endpoint_id = job.endpoint_id;
  r.app_id = job.app_id;
  r.attempts_before = job.attempts;
  r.retry_index = job.retry_index;
  r.manual = job.manual;
  r.started_at = started_at;
  return r;
}

Status DeliveryEngine::Start() {
  // Leases and attempt results need not survive a power loss: a lost lease or result only makes
  // the attempt due again (at least once). So this connection commits without an fsync
  // (synchronous=NORMAL in WAL mode; still safe against a crash of hookd), which keeps the
  // dispatcher's transactions from queueing behind the disk.
  writer_ = options_.writer;
  if (!writer_) {
    auto own = SharedWriter::Open(pool_.path(), pool_.options());
    if (!own.ok()) return own.status();
    own_writer_ = std::move(own).value();
    writer_ = own_writer_.get();
  }
  recorder_ = std::make_unique<AttemptRecorder>(*writer_->Hold(), metrics_, clock_, random_,
                                                options_.policy, options_.disable_after, logger());
  // A paused endpoint stays paused across a restart.
  if (auto snapshot = endpoints_.Get(); snapshot.ok()) {
    const int64_t now = clock_.NowUnixMillis();
    for (const Endpoint& e : **snapshot)
      if (e.circuit != "closed")
        breaker_.Restore(e.id, ParseCircuitState(e.circuit), e.circuit_retry_at.value_or(now));
  }
  woken_ = true;  // claim what is already due at once
  dispatcher_ = std::thread([this] {
    NameThisThread("hookd-dispatch");
    DispatchLoop();
  });
  return Status::Ok();
}

void DeliveryEngine::Wake(WakeReason reason) {
  std::lock_guard<std::mutex> lock(mu_);
  (reason == WakeReason::kNewDeliveries ? woken_new_ : woken_) = true;
  cv_.notify_one();
}

void DeliveryEngine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
}

int64_t DeliveryEngine::NextWakeAt(int64_t now) const {
  int64_t at = std::max(now, new_discovered_at_ms_ + options_.idle_poll.count());
  if (next_due_ms_) at = std::min(at, next_due_ms_);
  if (next_token_ms_) at = std::min(at, next_token_ms_);
  if (auto retry = breaker_.NextRetryAt(now)) at = std::min(at, *retry);
  return at;
}

void DeliveryEngine::DispatchLoop() {
  while (true) {
    std::vector<AttemptRecord> results;
    bool stopping = false;
    bool woken = false;
    bool woken_new = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const int64_t now = clock_.NowUnixMillis();
      const auto wait = std::chrono::milliseconds(
          std::min(std::clamp<int64_t>(NextWakeAt(now) - now, 0, options_.idle_poll.count()),
                   RecordWaitMs()));
      cv_.wait_for(lock, wait,
                   [this] { return stopping_ || woken_ || woken_new_ || !done_.empty(); });
      woken = std::exchange(woken_, false);
      woken_new = std::exchange(woken_new_, false);
      results.swap(done_);
      stopping = stopping_;
    }
    int64_t now = clock_.NowUnixMillis();
    TakeResults(results, now);
    if (stopping) break;
    StartReady(now);  // into the slots the results freed, before the recording transaction
    RecordIfDue();
    // Results that came in during the transaction free their slots now, not after the claim.
    now = clock_.NowUnixMillis();
    Harvest(now);
    // Every endpoint is looked at when woken for anything, when a retry or lease end this
    // process knows of comes due, and at the idle poll (spaced while a backlog is known); the
    // rows inserted since the last look are looked at when woken for new deliveries and at
    // every poll (another process's publishing). Between those, claims continue with the
    // endpoints known to have a backlog.
    if (woken || (next_due_ms_ && next_due_ms_ <= now) || FullScanDue(now)) {
      DiscoverDueEndpoints(now);
    } else if (woken_new || now - new_discovered_at_ms_ >= options_.idle_poll.count()) {
      DiscoverNewDeliveries(now);
    }
    ClaimAndQueue(now);
    Harvest(now);
    UpdatePendingGauge(now);
  }
  // Unstarted claims go back at once; the attempts in flight end within their deadline.
  const int64_t now = clock_.NowUnixMillis();
  for (DeliveryJob& job : scheduler_.TakeAllQueued()) released_.push_back({job.delivery_id, now});
  while (scheduler_.inflight() > 0) {
    std::vector<AttemptRecord> results;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !done_.empty(); });
      results.swap(done_);
    }
    TakeResults(results, clock_.NowUnixMillis());
  }
  RecordPending();
  if (!unrecorded_.empty() || !released_.empty())
    logger().Error("recording delivery attempts failed at shutdown; their leases expire",
                   {{"unrecorded", unrecorded_.size()}, {"released", released_.size()}});
}

void DeliveryEngine::Harvest(int64_t now) {
  std::vector<AttemptRecord> results;
  {
    std::lock_guard<std::mutex> lock(mu_);
    results.swap(done_);
  }
  TakeResults(results, now);
  StartReady(now);
}

void DeliveryEngine::TakeResults(std::vector<AttemptRecord>& results, int64_t now) {
  for (AttemptRecord& r : results) {
    scheduler_.Finished(r.endpoint_id);
    if (r.result.local_failure || r.result.not_connected) {
      // hookd's own failure (out of descriptors), or a `hookd listen` not connected: not an
      // attempt, not the receiver's health. The delivery is due again shortly, its attempts and
      // schedule unchanged.
      breaker_.OnAbandoned(r.endpoint_id);
      if (r.result.local_failure) {
        local_failures_.Increment();
        local_errors_.Log(r.result.error);
      }
      released_.push_back({r.delivery_id, now + options_.local_failure_delay.count()});
      continue;
    }
    const bool success = r.result.status >= 200 && r.result.status < 300;
    if (auto change = breaker_.OnResult(r.endpoint_id, success, now)) NoteCircuitChange(*change);
    unrecorded_.push_back(std::move(r));
  }
}

void DeliveryEngine::NoteCircuitChange(const CircuitChange& change) {
  metrics_.circuit_transitions().Add({{"to", CircuitStateName(change.to)}}).Increment();
  metrics_.endpoint_circuits()
      .Add({{"state", "open"}})
      .Set(static_cast<double>(breaker_.Count(CircuitState::kOpen)));
  metrics_.endpoint_circuits()
      .Add({{"state", "half_open"}})
      .Set(static_cast<double>(breaker_.Count(CircuitState::kHalfOpen)));
  if (change.to == CircuitState::kOpen) {
    // Paused work waits, unattempted, for the end of the cool-down.
    for (DeliveryJob& job : scheduler_.TakeQueued(change.endpoint_id))
      released_.push_back({job.delivery_id, change.retry_at_ms});
  }
  circuit_changes_.push_back(change);
}

void DeliveryEngine::StartReady(int64_t now) {
  auto snapshot = endpoints_.Get();
  std::vector<DeliveryJob> starting;
  while (auto job = scheduler_.NextToStart(now)) {
    // Claimed while its endpoint was live, disabled or deleted since: it ends unattempted.
    const Endpoint* e = snapshot.ok() ? EndpointCache::Find(*snapshot, job->endpoint_id) : nullptr;
    if (snapshot.ok() && (!e || e->disabled)) {
      scheduler_.Finished(job->endpoint_id);
      AttemptRecord r = RecordFor(*job, now);
      r.attempted = false;
      r.result.error = e ? "endpoint disabled: " + e->disabled_reason : "endpoint deleted";
      unrecorded_.push_back(std::move(r));
      continue;
    }
    if (auto change = breaker_.OnStart(job->endpoint_id, now)) NoteCircuitChange(*change);
    starting.push_back(std::move(*job));
  }
  for (DeliveryJob& job : starting) {
    AttemptRecord record = RecordFor(job, now);
    // webhook-timestamp is this attempt's time, so every attempt is signed afresh.
    const int64_t ts = now / 1000;
    job.request.headers.emplace_back("webhook-timestamp", std::to_string(ts));
    job.request.headers.emplace_back(
        "webhook-signature", SignatureHeader(job.message_id, ts, job.request.body, job.secrets));
    // `done` may run inline (a refusal before any I/O) or on a sender thread; it only queues.
    sender_.SendAsync(std::move(job.request), options_.attempt_timeout,
                      [this, record = std::move(record)](SendResult result) mutable {
                        record.result = std::move(result);
                        std::lock_guard<std::mutex> lock(mu_);
                        // The first result of a batch wakes the dispatcher; the others join it.
                        if (done_.empty()) cv_.notify_one();
                        done_.push_back(std::move(record));
                      });
  }
}

int64_t DeliveryEngine::RecordWaitMs() const {
  // (Circuit changes and releases left over from a failed write go with the next one.)
  if (unrecorded_.empty()) return options_.idle_poll.count();
  if (!unrecorded_since_) return 0;
  const auto left =
      options_.record_window - (std::chrono::steady_clock::now() - *unrecorded_since_);
  return std::max<int64_t>(std::chrono::ceil<std::chrono::milliseconds>(left).count(), 0);
}

void DeliveryEngine::RecordIfDue() {
  if (unrecorded_.empty() && circuit_changes_.empty() && released_.empty()) return;
  // Circuit changes and releases alone are written at once. Results wait for a batch while
  // attempts are still in flight to join them (their slots are free already).
  if (!unrecorded_.empty() && unrecorded_.size() < options_.record_batch &&
      scheduler_.inflight() > 0) {
    if (!unrecorded_since_) unrecorded_since_ = std::chrono::steady_clock::now();
    if (RecordWaitMs() > 0) return;
  }
  RecordPending();
}

void DeliveryEngine::RecordPending() {
  unrecorded_since_.reset();
  if (unrecorded_.empty() && circuit_changes_.empty() && released_.empty()) return;
  Status s = [&] {
    SharedWriter::Held held = writer_->Hold();  // the recorder writes through the writer's Db
    return recorder_->Record(unrecorded_, circuit_changes_, released_);
  }();
  // Attempts not recorded become due again when their leases end (at least once); circuit
  // changes and releases are kept and written with the next batch.
  unrecorded_.clear();
  if (!s.ok()) {
    record_errors_.Log(s.message());
    return;
  }
  circuit_changes_.clear();
  released_.clear();
  if (options_.on_status_committed) options_.on_status_committed();
  if (int64_t retry = recorder_->TakeEarliestRetry();
      retry && (!next_due_ms_ || retry < next_due_ms_))
    next_due_ms_ = retry;
  // A disabled endpoint must stop receiving new deliveries at once, not after the cache TTL.
  if (recorder_->TakeEndpointsChanged()) endpoints_.Invalidate();
}

void DeliveryEngine::NoteDue(std::string endpoint_id, int64_t due, int64_t now) {
  if (due <= now)
    due_endpoints_.insert(std::move(endpoint_id));
  else if (!next_due_ms_ || due < next_due_ms_)
    next_due_ms_ = due;
}

bool DeliveryEngine::FullScanDue(int64_t now) const {
  if (now - discovered_at_ms_ < options_.idle_poll.count()) return false;
  if (due_endpoints_.empty()) return true;
  return std::chrono::steady_clock::now() - full_scan_end_ >= 20 * full_scan_cost_;
}

int64_t DeliveryEngine::LastDeliverySeq() {
  SharedWriter::Held db = writer_->Hold();
  auto st = db->Cached("SELECT COALESCE(MAX(seq), 0) FROM deliveries");
  if (!st.ok()) return -1;
  auto row = (*st)->Step();
  const int64_t last = row.ok() && *row ? (*st)->Int(0) : -1;
  (*st)->Reset();
  return last;
}

void DeliveryEngine::DiscoverNewDeliveries(int64_t now) {
  if (discovered_seq_ < 0) return DiscoverDueEndpoints(now);
  // Below the last seq seen: the newest rows were deleted (retention keeps the newest delivery,
  // so by hand or by an older hookd), and SQLite may give their seqs to new rows, which a look
  // above it would miss.
  const int64_t last = LastDeliverySeq();
  if (last < 0) return;
  if (last < discovered_seq_) return DiscoverDueEndpoints(now);
  new_discovered_at_ms_ = now;
  if (last == discovered_seq_) return;
  SharedWriter::Held db = writer_->Hold();
  auto st = db->Cached(
      // NOT INDEXED: otherwise the GROUP BY walks all of deliveries_endpoint, not the new rows.
      "SELECT endpoint_id, MIN(next_attempt_at) FROM deliveries NOT INDEXED"
      " WHERE seq > ? AND seq <= ? GROUP BY endpoint_id");
  if (!st.ok()) return;
  (*st)->Bind(1, discovered_seq_).Bind(2, last);
  bool read = true;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) read = false;
    if (!row.ok() || !*row) break;
    if (!(*st)->IsNull(1)) NoteDue((*st)->Text(0), (*st)->Int(1), now);  // else finished already
  }
  (*st)->Reset();
  // Groups come in endpoint order, not seq order: only a complete read moves the mark.
  if (read) discovered_seq_ = last;
}

void DeliveryEngine::DiscoverDueEndpoints(int64_t now) {
  const auto started = std::chrono::steady_clock::now();
  discovered_at_ms_ = new_discovered_at_ms_ = now;
  // Read first: a delivery inserted during the scan below is then also seen by the next
  // DiscoverNewDeliveries (found twice at worst, never missed).
  if (const int64_t last = LastDeliverySeq(); last >= 0) discovered_seq_ = last;
  // Each endpoint with waiting deliveries and its earliest due time.
  static const std::string kDueByEndpoint =
      std::string(kWaitingEndpoints) +
      " SELECT id, (SELECT MIN(next_attempt_at) FROM deliveries"
      "  WHERE endpoint_id = ep.id AND next_attempt_at IS NOT NULL) FROM ep WHERE id IS NOT NULL";
  // On a pool connection, not the writer: a scan of every waiting endpoint must not hold up
  // ingest's and publishing's commits while it runs.
  auto db = pool_.Acquire();
  if (!db.ok()) return;
  auto st = (*db)->Cached(kDueByEndpoint);
  if (!st.ok()) return;
  next_due_ms_ = 0;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok() || !*row) break;
    NoteDue((*st)->Text(0), (*st)->Int(1), now);
  }
  (*st)->Reset();
  full_scan_end_ = std::chrono::steady_clock::now();
  full_scan_cost_ = full_scan_end_ - started;
}

void DeliveryEngine::ClaimAndQueue(int64_t now) {
  auto loaded = endpoints_.Get();
  if (!loaded.ok()) return;
  EndpointCache::Snapshot snapshot = *loaded;
  EndpointCache::Snapshot earlier;  // kept alive for the plan's pointers when reloaded
  bool reloaded = false;
  next_token_ms_ = 0;
  if (due_endpoints_.empty()) return;

  // How many to claim of each endpoint with due deliveries, visiting them round-robin from
  // where the last claim stopped, within the scheduler's budgets.
  struct Take {
    std::string endpoint_id;
    const Endpoint* endpoint;  // null or disabled: its deliveries end without an attempt
    int count;
    int64_t lease_end;
  };
  std::vector<Take> plan;
  int room = scheduler_.room();
  const int cap = std::max(options_.per_endpoint_concurrency, 1);
  auto it = due_endpoints_.upper_bound(last_claimed_endpoint_);
  // The walk stops when the room is spent: with 10,000 endpoints due, visiting the rest each
  // cycle only to find no room was a tenth of the dispatcher's time. (The deliveries of disabled
  // or deleted endpoints further on, which need no slot, end in a later cycle with room.)
  for (size_t visited = 0; visited < due_endpoints_.size() && room > 0; ++visited, ++it) {
    if (it == due_endpoints_.end()) it = due_endpoints_.begin();
    const Endpoint* e = EndpointCache::Find(snapshot, *it);
    if ((!e || e->disabled) && !reloaded) {
      // Unknown or disabled in a snapshot loaded before its deliveries were found: it may have
      // been created or enabled since (by this process or another). Look once more before they
      // end without an attempt.
      reloaded = true;
      endpoints_.Invalidate();
      if (auto fresh = endpoints_.Get(); fresh.ok()) {
        earlier = std::exchange(snapshot, *fresh);
        e = EndpointCache::Find(snapshot, *it);
      }
    }
    const bool attemptable = e && !e->disabled;
    int count = kUnattemptableBatch;
    if (attemptable) {
      count = scheduler_.ClaimBudget(*it, e->rate_limit_per_second, now, room);
      if (count == 0 && e->rate_limit_per_second) {
        const int64_t token = scheduler_.NextTokenAt(*it, e->rate_limit_per_second, now);
        if (token > now && (!next_token_ms_ || token < next_token_ms_)) next_token_ms_ = token;
      }
    }
    if (count <= 0) continue;
    // The lease covers the attempts queued ahead of these (each bounded by the timeout) and
    // their own: so a claim waiting in the queue never outlives its lease.
    const int claimed = attemptable ? scheduler_.Claimed(*it) : 0;
    const int64_t rounds = (claimed + count + cap - 1) / cap;
    plan.push_back({*it, attemptable ? e : nullptr, count,
                    now + rounds * options_.attempt_timeout.count() + 5'000});
    if (attemptable) room -= count;
  }
  if (plan.empty()) return;
  last_claimed_endpoint_ = plan.back().endpoint_id;

  // Lease: the claimed deliveries are not due again until the lease ends. The write lock makes
  // the claim exclusive, so two deliver processes never claim the same delivery.
  SharedWriter::Held db = writer_->Hold();
  auto txn = Transaction::Begin(*db);
  if (!txn.ok()) return;
  std::vector<DeliveryJob> chosen;
  // The endpoint of each chosen job (in `snapshot`, or `earlier`).
  std::vector<const Endpoint*> chosen_endpoints;
  std::vector<AttemptRecord> finished;  // ended without an attempt, or not attemptable
  std::vector<std::string> drained;     // endpoints with no due delivery left
  // One claimed row (id, message_id, attempts, retry_index, manual, app_id) of `take` becomes a
  // job, or a record when it cannot be attempted.
  auto take_row = [&](Stmt& st, const Take& take, const Result<EndpointUrl>& url) {
    DeliveryJob job;
    job.delivery_id = st.Text(0);
    job.message_id = st.Text(1);
    job.endpoint_id = take.endpoint_id;
    job.attempts = st.Int(2);
    job.retry_index = static_cast<int>(st.Int(3));
    job.manual = st.Int(4) != 0;
    job.app_id = st.Text(5);
    if (!take.endpoint || !url.ok()) {
      AttemptRecord r = RecordFor(job, now);
      if (!take.endpoint) {
        const Endpoint* e = EndpointCache::Find(snapshot, take.endpoint_id);
        r.attempted = false;
        r.result.error = e ? "endpoint disabled: " + e->disabled_reason : "endpoint deleted";
      } else {
        r.result.error = url.status().message();  // counts as a failed attempt
      }
      finished.push_back(std::move(r));
      return;
    }
    job.request.endpoint_id = take.endpoint_id;
    job.request.url = *url;
    job.request.cli = take.endpoint->kind == "cli";
    job.secrets = take.endpoint->LiveSecrets(now);
    chosen.push_back(std::move(job));
    chosen_endpoints.push_back(take.endpoint);  // its headers are made with the message's
  };
  auto url_of = [](const Take& take) {
    return take.endpoint ? ParseEndpointUrl(take.endpoint->url)
                         : Result<EndpointUrl>(EndpointUrl{});
  };
  // Endpoints claiming one delivery under the same lease (the usual case with many endpoints,
  // each holding the reserve's one slot) are claimed in one statement: a statement per endpoint
  // was most of the dispatcher's time in a fan-out to 10,000 endpoints.
  std::map<int64_t, std::vector<const Take*>> singles;  // by lease end
  for (const Take& take : plan) {
    if (take.endpoint && take.count == 1) {
      singles[take.lease_end].push_back(&take);
      continue;
    }
    auto st = db->Cached(
        "UPDATE deliveries SET next_attempt_at = ?4, lease_until = ?4 WHERE rowid IN"
        " (SELECT rowid FROM deliveries WHERE endpoint_id = ?1 AND next_attempt_at <= ?2"
        "  ORDER BY next_attempt_at LIMIT ?3)"
        " RETURNING id, message_id, attempts, retry_index, manual_return_status IS NOT NULL,"
        " app_id");
    if (!st.ok()) return;
    (*st)->Bind(1, take.endpoint_id).Bind(2, now).Bind(3, static_cast<int64_t>(take.count));
    (*st)->Bind(4, take.lease_end);
    const Result<EndpointUrl> url = url_of(take);
    int rows = 0;
    while (true) {
      auto row = (*st)->Step();
      if (!row.ok()) return;
      if (!*row) break;
      ++rows;
      take_row(**st, take, url);
    }
    if (rows < take.count) drained.push_back(take.endpoint_id);
  }
  for (const auto& [lease_end, takes] : singles) {
    std::string ids = "[";
    std::unordered_map<std::string_view, const Take*> by_id;
    for (const Take* take : takes) {
      if (ids.size() > 1) ids += ',';
      AppendJsonString(ids, take->endpoint_id);
      by_id.emplace(take->endpoint_id, take);
    }
    ids += ']';
    auto st = db->Cached(
        "UPDATE deliveries SET next_attempt_at = ?3, lease_until = ?3 WHERE rowid IN"
        " (SELECT (SELECT d.rowid FROM deliveries d WHERE d.endpoint_id = j.value"
        "   AND d.next_attempt_at <= ?2 ORDER BY d.next_attempt_at LIMIT 1)"
        "  FROM json_each(?1) j)"
        " RETURNING id, message_id, attempts, retry_index, manual_return_status IS NOT NULL,"
        " app_id, endpoint_id");
    if (!st.ok()) return;
    (*st)->Bind(1, ids).Bind(2, now).Bind(3, lease_end);
    while (true) {
      auto row = (*st)->Step();
      if (!row.ok()) return;
      if (!*row) break;
      auto it = by_id.find((*st)->Text(6));
      if (it == by_id.end()) continue;  // cannot happen: only the listed endpoints are claimed
      take_row(**st, *it->second, url_of(*it->second));
      by_id.erase(it);
    }
    for (const auto& [id, take] : by_id) drained.push_back(take->endpoint_id);
  }
  // (A subquery in RETURNING above would scan messages instead of using its index.)
  // A message fanned out to many endpoints is read once per claim, not once per delivery: its
  // body and what its headers need (deliver/delivery_headers.h).
  std::unordered_map<std::string, DeliveryMessage> messages;
  for (size_t i = 0; i < chosen.size(); ++i) {
    DeliveryJob& j = chosen[i];
    auto known = messages.find(j.message_id);
    if (known == messages.end()) {
      auto st = db->Cached(
          "SELECT COALESCE(m.payload, e.body), m.event_type, m.source_id, e.headers"
          " FROM messages m LEFT JOIN events e ON e.id = m.event_id WHERE m.id = ?");
      if (!st.ok()) return;
      auto row = (*st)->Bind(1, j.message_id).Step();
      if (!row.ok()) return;
      DeliveryMessage m;
      m.id = j.message_id;
      m.body = std::string("null");
      if (*row) {
        m.body = (*st)->Text(0);
        m.event_type = (*st)->Text(1);
        if (!(*st)->IsNull(2)) m.source_id = (*st)->Text(2);
        if (!(*st)->IsNull(3)) m.event_headers_json = (*st)->Text(3);
      }
      (*st)->Reset();
      known = messages.emplace(j.message_id, std::move(m)).first;
    }
    j.request.body = known->second.body;
    j.request.headers = DeliveryHeaders(*chosen_endpoints[i], known->second);
  }
  db->ResetCached();
  if (!(*txn)->Commit().ok()) return;
  for (const std::string& id : drained) due_endpoints_.erase(id);
  for (DeliveryJob& j : chosen) scheduler_.Enqueue(std::move(j));
  for (AttemptRecord& r : finished) unrecorded_.push_back(std::move(r));  // the next cycle
}

void DeliveryEngine::UpdatePendingGauge(int64_t now) {
  if (now - gauge_updated_at_ms_ < 1000) return;
  gauge_updated_at_ms_ = now;
  // A count of the whole backlog: on a pool connection, so it never holds up the writers.
  auto db = pool_.Acquire();
  if (!db.ok()) return;
  auto st = (*db)->Cached("SELECT COUNT(*) FROM deliveries WHERE next_attempt_at IS NOT NULL");
  if (!st.ok()) return;
  auto row = (*st)->Step();
  if (row.ok() && *row) metrics_.deliveries_pending().Set(static_cast<double>((*st)->Int(0)));
  (*st)->Reset();
}

}  // namespace hookd
