#include "app/retention_pruner.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/thread_name.h"
#include "deliver/message_service.h"

namespace hookd {

RetentionPruner::RetentionPruner(std::unique_ptr<Db> db, RetentionOptions options,
                                 const Clock& clock, Metrics& metrics, const Logger& logger)
    : db_(std::move(db)),
      options_(std::move(options)),
      clock_(clock),
      logger_(logger),
      pruned_events_(metrics.retention_pruned().Add({{"table", "events"}})),
      pruned_messages_(metrics.retention_pruned().Add({{"table", "messages"}})),
      pruned_deliveries_(metrics.retention_pruned().Add({{"table", "deliveries"}})),
      pruned_attempts_(metrics.retention_pruned().Add({{"table", "attempts"}})),
      pruned_status_log_(metrics.retention_pruned().Add({{"table", "status_log"}})),
      transaction_seconds_(metrics.retention_transaction()) {}

RetentionPruner::~RetentionPruner() { Stop(); }

PruneReport RetentionPruner::RunOnce(int64_t now_ms) {
  PruneReport report;
  if (options_.batch_rows < 1) {
    // Each step would examine nothing and never be done.
    report.status = Status::InvalidField("retention: batch_rows must be at least 1");
    return report;
  }
  // Runs `step` one transaction at a time until its table is done; false ends the run.
  auto run = [&](auto&& step) {
    bool done = false;
    while (!done) {
      locked_at_ = std::chrono::steady_clock::now();
      PruneReport tx;
      Status s = step(done, tx);
      db_->ResetCached();  // no statement keeps a read snapshot open between transactions
      if (!s.ok()) {
        report.status = s;
        return false;
      }
      // From BEGIN IMMEDIATE's success, not from asking: waiting for another writer is not
      // holding the lock.
      const auto held = std::chrono::steady_clock::now() - locked_at_;
      Count(tx, held, report);
      if (!done && !Pause(held)) {
        report.stopped = true;
        return false;
      }
    }
    return true;
  };
  if (options_.data) {
    const int64_t cutoff = now_ms - options_.data->count();
    // An Idempotency-Key answers for 24 hours even when the retention is shorter.
    const int64_t idempotency_cutoff = std::min(cutoff, now_ms - kIdempotencyWindowMs);
    // Messages first: an event goes only once no message is delivered from it.
    int64_t cursor = 0;
    if (!run([&](bool& done, PruneReport& tx) {
          return PruneMessagesStep(cutoff, idempotency_cutoff, cursor, done, tx);
        }))
      return report;
    cursor = 0;
    if (!run(
            [&](bool& done, PruneReport& tx) { return PruneEventsStep(cutoff, cursor, done, tx); }))
      return report;
  }
  if (options_.status_log) {
    const int64_t cutoff = now_ms - options_.status_log->count();
    run([&](bool& done, PruneReport& tx) { return PruneStatusLogStep(cutoff, done, tx); });
  }
  return report;
}

Status RetentionPruner::PruneMessagesStep(int64_t cutoff, int64_t idempotency_cutoff,
                                          int64_t& cursor, bool& done, PruneReport& tx) {
  auto txn = Begin();
  if (!txn.ok()) return txn.status();
  // Examined rows are bounded by the batch too, so a run of kept messages (a stopped
  // dispatcher's backlog) does not hold the lock while it is walked.
  auto sel = db_->Cached(
      "SELECT m.seq, m.id, m.created_at, m.idempotency_key IS NOT NULL,"
      " EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id"
      "  AND (d.status IN ('pending', 'retrying') OR d.next_attempt_at IS NOT NULL"
      "   OR d.updated_at >= ?2)),"
      " (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id),"
      " (SELECT COUNT(*) FROM deliveries d JOIN attempts a ON a.delivery_id = d.id"
      "  WHERE d.message_id = m.id)"
      " FROM messages m WHERE m.seq > ?1 ORDER BY m.seq LIMIT ?3");
  if (!sel.ok()) return sel.status();
  Stmt& st = **sel;
  st.Bind(1, cursor).Bind(2, cutoff).Bind(3, static_cast<int64_t>(options_.batch_rows));
  struct Candidate {
    int64_t seq;
    std::string id;
    int64_t rows;
  };
  std::vector<Candidate> candidates;
  // The message of the newest delivery stays, like the newest status-log entry: deliveries.seq
  // is a rowid without AUTOINCREMENT, and the delivery engine finds new deliveries by seq, so
  // the largest must never be freed for reuse.
  std::string newest_delivery_message;
  {
    auto newest = db_->Cached("SELECT message_id FROM deliveries ORDER BY seq DESC LIMIT 1");
    if (!newest.ok()) return newest.status();
    auto row = (*newest)->Step();
    if (!row.ok()) return row.status();
    if (*row) newest_delivery_message = (*newest)->Text(0);
    (*newest)->Reset();
  }
  int examined = 0;
  bool reached_window = false;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ++examined;
    const int64_t created_at = st.Int(2);
    if (created_at >= cutoff) {
      reached_window = true;
      break;
    }
    cursor = st.Int(0);
    const bool keyed_and_young = st.Int(3) != 0 && created_at >= idempotency_cutoff;
    if (keyed_and_young || st.Int(4) != 0 || st.Text(1) == newest_delivery_message)
      continue;  // kept
    candidates.push_back({st.Int(0), st.Text(1), 1 + st.Int(5) + st.Int(6)});
  }
  st.Reset();
  done = reached_window || examined < options_.batch_rows;

  auto attempts = db_->Cached(
      "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_id = ?)");
  if (!attempts.ok()) return attempts.status();
  auto deliveries = db_->Cached("DELETE FROM deliveries WHERE message_id = ?");
  if (!deliveries.ok()) return deliveries.status();
  auto messages = db_->Cached("DELETE FROM messages WHERE id = ?");
  if (!messages.ok()) return messages.status();
  int64_t rows = 0;
  for (const Candidate& c : candidates) {
    if (rows > 0 && rows + c.rows > options_.batch_rows) {
      cursor = c.seq - 1;  // this one and those after it in the next transaction
      done = false;
      break;
    }
    (*attempts)->Reset();
    if (Status s = (*attempts)->Bind(1, c.id).Run(); !s.ok()) return s;
    tx.attempts += db_->Changes();
    (*deliveries)->Reset();
    if (Status s = (*deliveries)->Bind(1, c.id).Run(); !s.ok()) return s;
    tx.deliveries += db_->Changes();
    (*messages)->Reset();
    if (Status s = (*messages)->Bind(1, c.id).Run(); !s.ok()) return s;
    tx.messages += db_->Changes();
    rows = tx.total();
  }
  return (*txn)->Commit();
}

Status RetentionPruner::PruneEventsStep(int64_t cutoff, int64_t& cursor, bool& done,
                                        PruneReport& tx) {
  auto txn = Begin();
  if (!txn.ok()) return txn.status();
  // messages_event (migration 0004) answers the EXISTS.
  auto sel = db_->Cached(
      "SELECT e.seq, e.received_at, EXISTS (SELECT 1 FROM messages m WHERE m.event_id = e.id)"
      " FROM events e WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2");
  if (!sel.ok()) return sel.status();
  Stmt& st = **sel;
  st.Bind(1, cursor).Bind(2, static_cast<int64_t>(options_.batch_rows));
  std::vector<int64_t> doomed;
  int examined = 0;
  bool reached_window = false;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ++examined;
    if (st.Int(1) >= cutoff) {
      reached_window = true;
      break;
    }
    cursor = st.Int(0);
    if (st.Int(2) == 0) doomed.push_back(st.Int(0));
  }
  st.Reset();
  done = reached_window || examined < options_.batch_rows;
  auto del = db_->Cached("DELETE FROM events WHERE seq = ?");
  if (!del.ok()) return del.status();
  for (int64_t seq : doomed) {
    (*del)->Reset();
    if (Status s = (*del)->Bind(1, seq).Run(); !s.ok()) return s;
    tx.events += db_->Changes();
  }
  return (*txn)->Commit();
}

Status RetentionPruner::PruneStatusLogStep(int64_t cutoff, bool& done, PruneReport& tx) {
  auto txn = Begin();
  if (!txn.ok()) return txn.status();
  // The oldest entries while they are past the window; the newest entry always stays.
  auto sel = db_->Cached(
      "SELECT seq, at, seq = (SELECT MAX(seq) FROM status_log) FROM status_log"
      " ORDER BY seq LIMIT ?1");
  if (!sel.ok()) return sel.status();
  Stmt& st = **sel;
  st.Bind(1, static_cast<int64_t>(options_.batch_rows));
  int64_t last = -1;
  int examined = 0;
  bool reached_window = false;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ++examined;
    if (st.Int(1) >= cutoff || st.Int(2) != 0) {
      reached_window = true;
      break;
    }
    last = st.Int(0);
  }
  st.Reset();
  done = reached_window || examined < options_.batch_rows;
  if (last >= 0) {
    auto del = db_->Cached("DELETE FROM status_log WHERE seq <= ?");
    if (!del.ok()) return del.status();
    if (Status s = (*del)->Bind(1, last).Run(); !s.ok()) return s;
    tx.status_log += db_->Changes();
  }
  return (*txn)->Commit();
}

Result<std::unique_ptr<Transaction>> RetentionPruner::Begin() {
  auto txn = Transaction::Begin(*db_);
  locked_at_ = std::chrono::steady_clock::now();
  return txn;
}

void RetentionPruner::Count(const PruneReport& tx, std::chrono::steady_clock::duration held,
                            PruneReport& total) {
  transaction_seconds_.Observe(std::chrono::duration<double>(held).count());
  total.events += tx.events;
  total.messages += tx.messages;
  total.deliveries += tx.deliveries;
  total.attempts += tx.attempts;
  total.status_log += tx.status_log;
  total.transactions += 1;
  total.max_rows_per_transaction = std::max(total.max_rows_per_transaction, tx.total());
  pruned_events_.Increment(static_cast<double>(tx.events));
  pruned_messages_.Increment(static_cast<double>(tx.messages));
  pruned_deliveries_.Increment(static_cast<double>(tx.deliveries));
  pruned_attempts_.Increment(static_cast<double>(tx.attempts));
  pruned_status_log_.Increment(static_cast<double>(tx.status_log));
}

bool RetentionPruner::Pause(std::chrono::steady_clock::duration held) {
  std::unique_lock<std::mutex> lock(mu_);
  const auto wait =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(held * options_.pause_factor);
  if (wait.count() > 0) cv_.wait_for(lock, wait, [this] { return stopping_; });
  return !stopping_;
}

void RetentionPruner::Start() {
  thread_ = std::thread([this] {
    NameThisThread("hookd-retention");
    Loop();
  });
}

void RetentionPruner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionPruner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const PruneReport r = RunOnce(clock_.NowUnixMillis());
    if (!r.status.ok())
      logger_.Error("retention pruning failed (retried later)", {{"error", r.status.message()}});
    lock.lock();
  }
}

}  // namespace hookd
