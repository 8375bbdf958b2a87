#include "deliver/delivery_engine.h"

#include <algorithm>
#include <iostream>
#include <limits>

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

int DeliveryEngine::FreeSlots(const std::string& endpoint_id) const {
  auto sending = sending_.find(endpoint_id);
  return options_.per_endpoint_concurrency - (sending == sending_.end() ? 0 : sending->second);
}

std::deque<DeliveryEngine::Job>::iterator DeliveryEngine::NextStartable() {
  const std::string* at_cap = nullptr;  // the last endpoint found at its cap (usually the only)
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
    if (at_cap && it->endpoint_id == *at_cap) continue;
    if (FreeSlots(it->endpoint_id) > 0) return it;
    at_cap = &it->endpoint_id;
  }
  return jobs_.end();
}

void DeliveryEngine::WakeIdleWorkers(int jobs) {
  for (int i = 0; i < std::min(jobs, idle_workers_); ++i) worker_cv_.notify_one();
}

void DeliveryEngine::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    // A worker goes on with the next startable job without sleeping, so a busy pool hands
    // no work between threads; it sleeps only when nothing is startable.
    auto next = NextStartable();
    if (stopping_) return;  // unstarted jobs are handed back by the dispatcher
    if (next == jobs_.end()) {
      ++idle_workers_;
      worker_cv_.wait(lock);
      --idle_workers_;
      continue;
    }
    Job job = std::move(*next);
    jobs_.erase(next);
    ++sending_[job.endpoint_id];
    // The job this worker just finished may have freed a slot for another endpoint's job.
    if (idle_workers_ > 0 && NextStartable() != jobs_.end()) WakeIdleWorkers(1);
    lock.unlock();

    AttemptRecord record = RecordFor(job, clock_.NowUnixMillis());
    // webhook-timestamp is this attempt's time, so every attempt is signed afresh.
    const int64_t ts = record.started_at / 1000;
    job.request.headers.emplace_back("webhook-timestamp", std::to_string(ts));
    job.request.headers.emplace_back(
        "webhook-signature", SignatureHeader(job.message_id, ts, job.request.body, job.secrets));
    record.result = sender_.Send(job.request, options_.attempt_timeout);

    lock.lock();
    results_.push_back(std::move(record));
    --busy_;
    if (--claimed_[job.endpoint_id] <= 0) claimed_.erase(job.endpoint_id);
    if (--sending_[job.endpoint_id] <= 0) sending_.erase(job.endpoint_id);
    // The dispatcher is woken when the queue runs low (time to claim more) or a batch of results
    // is waiting; otherwise it records them within kResultDelay. Each wake-up costs a context
    // switch, which at thousands of attempts a second is most of the CPU.
    if (!dispatch_requested_ &&
        (results_.size() >= kResultBatch || jobs_.size() < static_cast<size_t>(options_.workers))) {
      dispatch_requested_ = true;
      dispatcher_cv_.notify_one();
    }
  }
}

void DeliveryEngine::DispatchLoop() {
  while (true) {
    std::vector<AttemptRecord> results;
    bool stopping = false;
    bool woken = false;
    int room = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      dispatcher_cv_.wait_for(lock, results_.empty() ? options_.idle_poll : kResultDelay,
                              [this] { return stopping_ || woken_ || dispatch_requested_; });
      dispatch_requested_ = false;
      woken = std::exchange(woken_, false);
      results.swap(results_);
      stopping = stopping_;
      room = options_.workers * kQueueDepthFactor - busy_;
    }
    if (Status s = recorder_->Record(results); !s.ok()) {
      std::cerr << "hookd: recording delivery attempts failed (they will be retried): "
                << s.message() << "\n";
    } else if (!results.empty() && options_.on_status_committed) {
      options_.on_status_committed();
    }
    // A disabled endpoint must stop receiving new deliveries at once, not after the cache TTL.
    if (recorder_->TakeEndpointsChanged()) endpoints_.Invalidate();
    if (stopping) break;
    const int64_t now = clock_.NowUnixMillis();
    // Endpoints with due deliveries are looked for when woken (new work), at the idle poll
    // (retries coming due, other processes' work) and at least that often under load; between
    // those, claims continue with the endpoints known to have a backlog.
    const bool discover = woken || now - discovered_at_ms_ >= options_.idle_poll.count();
    if (discover) discovered_at_ms_ = now;
    if (room > 0 || discover) ClaimAndQueue(std::max(room, 0), now, discover);
    UpdatePendingGauge(now);
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  std::vector<AttemptRecord> last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last.swap(results_);
  }
  if (Status s = recorder_->Record(last); !s.ok()) {
    std::cerr << "hookd: recording delivery attempts failed: " << s.message() << "\n";
  } else if (!last.empty() && options_.on_status_committed) {
    options_.on_status_committed();
  }
  ReleaseUnstarted();
}

int DeliveryEngine::Tokens(const Endpoint& e, int64_t now) {
  if (!e.rate_limit_per_second) return std::numeric_limits<int>::max();
  const double rate = static_cast<double>(*e.rate_limit_per_second);
  RateBucket& b = buckets_[e.id];
  if (b.refilled_at_ms == 0) b.tokens = rate;  // a new bucket starts full
  b.tokens = std::min(rate, b.tokens + rate * static_cast<double>(now - b.refilled_at_ms) / 1000.0);
  b.refilled_at_ms = now;
  return static_cast<int>(b.tokens);
}

void DeliveryEngine::DiscoverDueEndpoints(int64_t now) {
  // A loose scan of deliveries_due (endpoint_id, next_attempt_at): one index seek per endpoint
  // with waiting deliveries, whatever the size of its backlog.
  auto st = db_->Cached(
      "WITH RECURSIVE ep(id) AS ("
      " SELECT (SELECT MIN(endpoint_id) FROM deliveries WHERE next_attempt_at IS NOT NULL)"
      " UNION ALL"
      " SELECT (SELECT MIN(endpoint_id) FROM deliveries"
      "         WHERE next_attempt_at IS NOT NULL AND endpoint_id > ep.id)"
      " FROM ep WHERE ep.id IS NOT NULL)"
      " SELECT id FROM ep WHERE id IS NOT NULL AND (SELECT MIN(next_attempt_at) FROM deliveries"
      "  WHERE endpoint_id = ep.id AND next_attempt_at IS NOT NULL) <= ?1");
  if (!st.ok()) return;
  (*st)->Bind(1, now);
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok() || !*row) break;
    due_endpoints_.insert((*st)->Text(0));
  }
  (*st)->Reset();
}

int DeliveryEngine::ClaimAndQueue(int room, int64_t now, bool discover) {
  auto snapshot = endpoints_.Get();
  if (!snapshot.ok()) return 0;
  if (discover) DiscoverDueEndpoints(now);
  if (due_endpoints_.empty()) return 0;

  // How many to claim of each endpoint with due deliveries, visiting them round-robin from
  // where the last claim stopped, so a large backlog cannot starve the others.
  struct Take {
    std::string endpoint_id;
    const Endpoint* endpoint;  // null or disabled: its deliveries end without an attempt
    int count;
  };
  std::vector<Take> plan;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = due_endpoints_.upper_bound(last_claimed_endpoint_);
    for (size_t visited = 0; visited < due_endpoints_.size() && room > 0; ++visited, ++it) {
      if (it == due_endpoints_.end()) it = due_endpoints_.begin();
      const Endpoint* e = EndpointCache::Find(*snapshot, *it);
      int count = room;
      if (e && !e->disabled) {
        auto claimed = claimed_.find(*it);
        count = std::min(count, options_.per_endpoint_concurrency * kQueueDepthFactor -
                                    (claimed == claimed_.end() ? 0 : claimed->second));
        count = std::min(count, Tokens(*e, now));
      }
      if (count <= 0) continue;
      plan.push_back({*it, e && !e->disabled ? e : nullptr, count});
      room -= count;
    }
  }
  if (plan.empty()) return 0;
  last_claimed_endpoint_ = plan.back().endpoint_id;

  // Lease: the claimed deliveries are not due again until the lease ends. The write lock makes
  // the claim exclusive, so two deliver processes never claim the same delivery.
  const int64_t lease_end = now + options_.attempt_timeout.count() + 5'000;
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return 0;
  std::vector<Job> chosen;
  std::vector<AttemptRecord> finished;  // ended without an attempt, or not attemptable
  std::vector<std::string> drained;     // endpoints with no due delivery left
  for (const Take& take : plan) {
    auto st = db_->Cached(
        "UPDATE deliveries SET next_attempt_at = ?4, lease_until = ?4 WHERE rowid IN"
        " (SELECT rowid FROM deliveries WHERE endpoint_id = ?1 AND next_attempt_at <= ?2"
        "  ORDER BY next_attempt_at LIMIT ?3)"
        " RETURNING id, message_id, attempts, retry_index");
    if (!st.ok()) return 0;
    (*st)->Bind(1, take.endpoint_id).Bind(2, now).Bind(3, static_cast<int64_t>(take.count));
    (*st)->Bind(4, lease_end);
    Result<EndpointUrl> url =
        take.endpoint ? ParseEndpointUrl(take.endpoint->url) : Result<EndpointUrl>(EndpointUrl{});
    int rows = 0;
    while (true) {
      auto row = (*st)->Step();
      if (!row.ok()) return 0;
      if (!*row) break;
      ++rows;
      Job job;
      job.delivery_id = (*st)->Text(0);
      job.message_id = (*st)->Text(1);
      job.endpoint_id = take.endpoint_id;
      job.attempts = (*st)->Int(2);
      job.retry_index = static_cast<int>((*st)->Int(3));
      if (!take.endpoint || !url.ok()) {
        AttemptRecord r = RecordFor(job, now);
        if (!take.endpoint) {
          const Endpoint* e = EndpointCache::Find(*snapshot, take.endpoint_id);
          r.attempted = false;
          r.result.error = e ? "endpoint disabled: " + e->disabled_reason : "endpoint deleted";
        } else {
          r.result.error = url.status().message();  // counts as a failed attempt
        }
        finished.push_back(std::move(r));
        continue;
      }
      job.request.endpoint_id = take.endpoint_id;
      job.request.url = *url;
      job.request.headers = take.endpoint->headers;
      job.request.headers.emplace_back("webhook-id", job.message_id);  // the same on every retry
      job.secrets = take.endpoint->LiveSecrets(now);
      chosen.push_back(std::move(job));
    }
    if (rows < take.count) drained.push_back(take.endpoint_id);
  }
  // (A subquery in RETURNING above would scan messages instead of using its index.)
  for (Job& j : chosen) {
    auto payload = db_->Cached(
        "SELECT COALESCE(m.payload, e.body) FROM messages m"
        " LEFT JOIN events e ON e.id = m.event_id WHERE m.id = ?");
    if (!payload.ok()) return 0;
    auto row = (*payload)->Bind(1, j.message_id).Step();
    if (!row.ok()) return 0;
    j.request.body = *row ? (*payload)->Text(0) : std::string("null");
    (*payload)->Reset();
  }
  db_->ResetCached();
  if (!(*txn)->Commit().ok()) return 0;
  for (const std::string& id : drained) due_endpoints_.erase(id);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : finished) results_.push_back(std::move(r));
  for (auto& j : chosen) {
    if (auto b = buckets_.find(j.endpoint_id); b != buckets_.end()) b->second.tokens -= 1.0;
    ++claimed_[j.endpoint_id];
    ++busy_;
    jobs_.push_back(std::move(j));
  }
  // Wake as many sleeping workers as there are jobs they could start.
  std::map<std::string, int> free_slots;
  int startable = 0;
  for (const Job& j : jobs_) {
    auto [slot, added] = free_slots.try_emplace(j.endpoint_id, 0);
    if (added) slot->second = FreeSlots(j.endpoint_id);
    if (slot->second > 0) --slot->second, ++startable;
  }
  WakeIdleWorkers(startable);
  if (!finished.empty()) dispatch_requested_ = true;  // recorded in the next cycle, at once
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
