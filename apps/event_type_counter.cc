#include "apps/event_type_counter.h"

namespace hookd {

Result<int64_t> EventTypeCounter::CountBatch() {
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto mark = db_->Cached("SELECT message_seq FROM event_types_progress WHERE id = 1");
  if (!mark.ok()) return mark.status();
  auto row = (*mark)->Step();
  if (!row.ok()) return row.status();
  const int64_t after = *row ? (*mark)->Int(0) : 0;
  (*mark)->Reset();
  // The batch's last seq and size first: the upsert below counts exactly those rows.
  auto range = db_->Cached(
      "SELECT COALESCE(MAX(seq), ?1), COUNT(*) FROM"
      " (SELECT seq FROM messages WHERE seq > ?1 ORDER BY seq LIMIT ?2)");
  if (!range.ok()) return range.status();
  auto r = (*range)->Bind(1, after).Bind(2, static_cast<int64_t>(batch_)).Step();
  if (!r.ok()) return r.status();
  const int64_t last = (*range)->Int(0);
  const int64_t n = (*range)->Int(1);
  (*range)->Reset();
  if (n == 0) return int64_t{0};
  // ("WHERE true" lets SQLite tell the upsert's ON CONFLICT from a join's ON.)
  auto add = db_->Cached(
      "INSERT INTO event_types (app_id, event_type, count, last_seen)"
      " SELECT m.app_id, m.event_type, COUNT(*), MAX(m.created_at) FROM messages m"
      " JOIN applications a ON a.id = m.app_id AND a.deleted_at IS NULL"
      " WHERE m.seq > ?1 AND m.seq <= ?2 GROUP BY m.app_id, m.event_type"
      " ON CONFLICT (app_id, event_type) DO UPDATE SET count = count + excluded.count,"
      " last_seen = MAX(last_seen, excluded.last_seen)");
  if (!add.ok()) return add.status();
  if (Status s = (*add)->Bind(1, after).Bind(2, last).Run(); !s.ok()) return s;
  auto move = db_->Cached("UPDATE event_types_progress SET message_seq = ? WHERE id = 1");
  if (!move.ok()) return move.status();
  if (Status s = (*move)->Bind(1, last).Run(); !s.ok()) return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return n;
}

EventTypeCount EventTypeCounter::RunOnce() {
  EventTypeCount out;
  while (true) {
    auto n = CountBatch();
    if (!n.ok()) {
      out.status = n.status();
      return out;
    }
    out.messages += *n;
    if (*n < batch_) return out;
  }
}

void EventTypeCounter::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void EventTypeCounter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventTypeCounter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (const EventTypeCount c = RunOnce(); !c.status.ok())
      logger_.Error("counting event types failed (retried later)", {{"error", c.status.message()}});
    lock.lock();
  }
}

}  // namespace hookd
