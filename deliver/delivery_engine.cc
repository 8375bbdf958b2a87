#include "deliver/delivery_engine.h"

#include <algorithm>
#include <iostream>

#include "deliver/signer.h"

namespace hookd {

DeliveryEngine::DeliveryEngine(DbPool& pool, EndpointCache& endpoints, Sender& sender,
                               Metrics& metrics, const Clock& clock, Random& random,
                               DeliveryEngineOptions options)
    : pool_(pool),
      endpoints_(endpoints),
      sender_(sender),
      metrics_(metrics),
      clock_(clock),
      random_(random),
      options_(std::move(options)) {}

DeliveryEngine::~DeliveryEngine() { Stop(); }

AttemptRecord DeliveryEngine::RecordFor(const Job& job, int64_t started_at) {
  AttemptRecord r;
  r.delivery_id = job.delivery_id;
  r.message_id = job.message_id;
  r.endpoint_id = job.endpoint_id;
  r.attempts_before = job.attempts;
  r.retry_index = job.retry_index;
  r.started_at = started_at;
  return r;
}

Status DeliveryEngine::Start() {
  // Leases and attempt results need not survive a power loss: a lost lease or result only makes
  // the attempt due again (at least once). So this connection commits without an fsync
  // (synchronous=NORMAL in WAL mode; still safe against a crash of hookd), which keeps the
  // dispatcher's transactions from queueing behind the disk.
  DbOptions options = pool_.options();
  options.synchronous = "NORMAL";
  auto db = Db::Open(pool_.path(), options);
  if (!db.ok()) return db.status();
  db_ = std::move(db).value();
  recorder_ = std::make_unique<AttemptRecorder>(*db_, metrics_, clock_, random_, options_.policy,
                                                options_.disable_after);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  woken_ = true;  // claim what is already due at once
  dispatcher_ = std::thread([this] { DispatchLoop(); });
  return Status::Ok();
}

void DeliveryEngine::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  woken_ = true;
  dispatcher_cv_.notify_one();
}

void DeliveryEngine::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dispatcher_cv_.notify_one();
    worker_cv_.notify_all();
  }
  if (dispatcher_.joinable()) dispatcher_.join();
}

void DeliveryEngine::WorkerLoop() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // The first queued job whose endpoint is below its concurrency cap.
      std::deque<Job>::iterator next;
      worker_cv_.wait(lock, [&] {
        if (stopping_) return true;
        next = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) {
          auto it = sending_.find(j.endpoint_id);
          return it == sending_.end() || it->second < options_.per_endpoint_concurrency;
        });
        return next != jobs_.end();
      });
      if (stopping_) return;  // unstarted jobs are handed back by the dispatcher
      job = std::move(*next);
      jobs_.erase(next);
      ++sending_[job.endpoint_id];
    }
    AttemptRecord record = RecordFor(job, clock_.NowUnixMillis());
    // webhook-timestamp is this attempt's time, so every attempt is signed afresh.
    const int64_t ts = record.started_at / 1000;
    job.request.headers.emplace_back("webhook-timestamp", std::to_string(ts));
    job.request.headers.emplace_back(
        "webhook-signature", SignatureHeader(job.message_id, ts, job.request.body, job.secrets));
    record.result = sender_.Send(job.request, options_.attempt_timeout);
    std::lock_guard<std::mutex> lock(mu_);
    results_.push_back(std::move(record));
    --busy_;
    if (--claimed_[job.endpoint_id] <= 0) claimed_.erase(job.endpoint_id);
    if (--sending_[job.endpoint_id] <= 0) sending_.erase(job.endpoint_id);
    dispatcher_cv_.notify_one();
    worker_cv_.notify_one();  // a job of this endpoint may be startable now
  }
}

void DeliveryEngine::DispatchLoop() {
  while (true) {
    std::vector<AttemptRecord> results;
    bool stopping = false;
    int room = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      dispatcher_cv_.wait_for(lock, options_.idle_poll,
                              [this] { return stopping_ || woken_ || !results_.empty(); });
      woken_ = false;
      results.swap(results_);
      stopping = stopping_;
      room = options_.workers * kQueueDepthFactor - busy_;
    }
    if (Status s = recorder_->Record(results); !s.ok())
      std::cerr << "hookd: recording delivery attempts failed (they will be retried): "
                << s.message() << "\n";
    // A disabled endpoint must stop receiving new deliveries at once, not after the cache TTL.
    if (recorder_->TakeEndpointsChanged()) endpoints_.Invalidate();
    if (stopping) break;
    const int64_t now = clock_.NowUnixMillis();
    if (room > 0) ClaimAndQueue(room, now);
    UpdatePendingGauge(now);
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  std::vector<AttemptRecord> last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last.swap(results_);
  }
  if (Status s = recorder_->Record(last); !s.ok())
    std::cerr << "hookd: recording delivery attempts failed: " << s.message() << "\n";
  ReleaseUnstarted();
}

bool DeliveryEngine::HasToken(const Endpoint& e, int64_t now) {
  if (!e.rate_limit_per_second) return true;
  const double rate = static_cast<double>(*e.rate_limit_per_second);
  RateBucket& b = buckets_[e.id];
  if (b.refilled_at_ms == 0) b.tokens = rate;  // a new bucket starts full
  b.tokens = std::min(rate, b.tokens + rate * static_cast<double>(now - b.refilled_at_ms) / 1000.0);
  b.refilled_at_ms = now;
  return b.tokens >= 1.0;
}

bool DeliveryEngine::TakeToken(const Endpoint& e, int64_t now) {
  if (!HasToken(e, now)) return false;
  if (e.rate_limit_per_second) buckets_[e.id].tokens -= 1.0;
  return true;
}

int DeliveryEngine::ClaimAndQueue(int room, int64_t now) {
  auto snapshot = endpoints_.Get();
  if (!snapshot.ok()) return 0;
  // Endpoints that cannot take an attempt now are left out of the query, so their backlog
  // cannot fill the batch and starve the others.
  nlohmann::json excluded = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, n] : claimed_)
      if (n >= options_.per_endpoint_concurrency * kQueueDepthFactor) excluded.push_back(id);
    for (const Endpoint& e : **snapshot)
      if (e.rate_limit_per_second && !HasToken(e, now)) excluded.push_back(e.id);
  }
  // Candidates are read without a write lock (an idle poll must not block ingest); the lease
  // below re-checks that each is still due, so two deliver processes never claim the same one.
  auto due = db_->Cached(
      "SELECT id, message_id, endpoint_id, attempts, retry_index FROM deliveries"
      " WHERE next_attempt_at <= ?1 AND endpoint_id NOT IN (SELECT value FROM json_each(?2))"
      " ORDER BY next_attempt_at LIMIT ?3");
  if (!due.ok()) return 0;
  (*due)->Bind(1, now).Bind(2, excluded.dump()).Bind(3, static_cast<int64_t>(room) * 2);
  std::vector<Job> chosen;
  std::vector<AttemptRecord> unattemptable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, int> taken;
    while (static_cast<int>(chosen.size()) < room) {
      auto row = (*due)->Step();
      if (!row.ok() || !*row) break;
      Job job;
      job.delivery_id = (*due)->Text(0);
      job.message_id = (*due)->Text(1);
      job.endpoint_id = (*due)->Text(2);
      job.attempts = (*due)->Int(3);
      job.retry_index = static_cast<int>((*due)->Int(4));
      const Endpoint* e = EndpointCache::Find(*snapshot, job.endpoint_id);
      if (!e || e->disabled) {
        AttemptRecord r = RecordFor(job, now);
        r.attempted = false;
        r.result.error = e ? "endpoint disabled: " + e->disabled_reason : "endpoint deleted";
        unattemptable.push_back(std::move(r));
        continue;
      }
      if (claimed_[job.endpoint_id] + taken[job.endpoint_id] >=
              options_.per_endpoint_concurrency * kQueueDepthFactor ||
          !TakeToken(*e, now))
        continue;
      auto url = ParseEndpointUrl(e->url);
      if (!url.ok()) {
        AttemptRecord r = RecordFor(job, now);
        r.result.error = url.status().message();
        unattemptable.push_back(std::move(r));
        continue;
      }
      ++taken[job.endpoint_id];
      job.request.endpoint_id = e->id;
      job.request.url = std::move(url).value();
      job.request.headers = e->headers;
      job.request.headers.emplace_back("webhook-id", job.message_id);  // the same on every retry
      job.secrets = e->LiveSecrets(now);
      chosen.push_back(std::move(job));
    }
  }
  (*due)->Reset();
  if (chosen.empty() && unattemptable.empty()) return 0;

  // Lease: the claimed deliveries are not due again until the lease ends.
  const int64_t lease_end = now + options_.attempt_timeout.count() + 5'000;
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return 0;
  auto lease = [&](const std::string& id) -> Result<bool> {
    auto st = db_->Cached(
        "UPDATE deliveries SET next_attempt_at = ?2, lease_until = ?2"
        " WHERE id = ?1 AND next_attempt_at <= ?3");
    if (!st.ok()) return st.status();
    if (Status s = (*st)->Bind(1, id).Bind(2, lease_end).Bind(3, now).Run(); !s.ok()) return s;
    return db_->Changes() > 0;
  };
  std::vector<Job> leased;
  for (auto& j : chosen) {
    auto ok = lease(j.delivery_id);
    if (!ok.ok()) return 0;
    if (*ok) leased.push_back(std::move(j));  // else: claimed elsewhere meanwhile
  }
  chosen = std::move(leased);
  std::vector<AttemptRecord> leased_records;
  for (auto& r : unattemptable) {
    auto ok = lease(r.delivery_id);
    if (!ok.ok()) return 0;
    if (*ok) leased_records.push_back(std::move(r));
  }
  unattemptable = std::move(leased_records);
  for (auto& j : chosen) {
    auto payload = db_->Cached(
        "SELECT COALESCE(m.payload, e.body) FROM messages m"
        " LEFT JOIN events e ON e.id = m.event_id WHERE m.id = ?");
    if (!payload.ok()) return 0;
    auto row = (*payload)->Bind(1, j.message_id).Step();
    if (!row.ok()) return 0;
    j.request.body = *row ? (*payload)->Text(0) : std::string("null");
  }
  db_->ResetCached();
  if (!(*txn)->Commit().ok()) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : unattemptable) results_.push_back(std::move(r));
  for (auto& j : chosen) {
    ++claimed_[j.endpoint_id];
    ++busy_;
    jobs_.push_back(std::move(j));
  }
  worker_cv_.notify_all();
  if (!unattemptable.empty()) dispatcher_cv_.notify_one();
  return static_cast<int>(chosen.size());
}

void DeliveryEngine::UpdatePendingGauge(int64_t now) {
  if (now - gauge_updated_at_ms_ < 1000) return;
  gauge_updated_at_ms_ = now;
  auto st = db_->Cached("SELECT COUNT(*) FROM deliveries WHERE next_attempt_at IS NOT NULL");
  if (!st.ok()) return;
  auto row = (*st)->Step();
  if (row.ok() && *row) metrics_.deliveries_pending().Set(static_cast<double>((*st)->Int(0)));
  (*st)->Reset();
}

void DeliveryEngine::ReleaseUnstarted() {
  std::deque<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.swap(jobs_);
  }
  if (jobs.empty()) return;
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return;  // the leases expire instead
  const int64_t now = clock_.NowUnixMillis();
  for (const Job& j : jobs) {
    auto st =
        db_->Cached("UPDATE deliveries SET next_attempt_at = ?2, lease_until = NULL WHERE id = ?1");
    if (!st.ok() || !(*st)->Bind(1, j.delivery_id).Bind(2, now).Run().ok()) return;
  }
  (*txn)->Commit();
}

}  // namespace hookd
