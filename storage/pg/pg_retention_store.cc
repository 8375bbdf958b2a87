#include "storage/pg/pg_retention_store.h"

#include <algorithm>
#include <string>
#include <vector>

#include "deliver/message_request.h"
#include "storage/pg/pg_retry.h"

namespace hookd {
namespace {

// Reads integer column `col` of `row` into `out`.
Status ReadInt(const PgResult& r, int row, int col, int64_t& out) {
  auto v = r.Int(row, col);
  if (!v.ok()) return v.status();
  out = *v;
  return Status::Ok();
}

// Whether a message's deliveries, read now under their row locks, still let it go: all final
// and unchanged since `cutoff` (the first query's condition, checked again).
Result<bool> DeliveriesStillFinal(PgConn& conn, const std::string& message_id, int64_t cutoff) {
  auto r = conn.Exec(
      "SELECT status IN ('pending', 'retrying') OR next_attempt_at IS NOT NULL"
      " OR updated_at >= $2 FROM deliveries WHERE message_id = $1 FOR UPDATE",
      {message_id, cutoff});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    auto busy = r->Bool(i, 0);
    if (!busy.ok()) return busy.status();
    if (*busy) return false;
  }
  return true;
}

}  // namespace

// Each step's transaction runs again when it lost a race (a deadlock with another node's
// writes); its cursor, `done` and counts are taken from the attempt that committed.
Status PgRetentionStore::PruneMessagesStep(int64_t cutoff, int64_t idempotency_cutoff,
                                           int64_t& cursor, bool& done, PruneReport& tx) {
  return RetryPgTransaction([&] {
    int64_t c = cursor;
    bool d = false;
    PruneReport t;
    Status s = MessagesOnce(cutoff, idempotency_cutoff, c, d, t);
    if (s.ok()) {
      cursor = c;
      done = d;
      tx = t;
    }
    return s;
  });
}

Status PgRetentionStore::PruneEventsStep(int64_t cutoff, int64_t& cursor, bool& done,
                                         PruneReport& tx) {
  return RetryPgTransaction([&] {
    int64_t c = cursor;
    bool d = false;
    PruneReport t;
    Status s = EventsOnce(cutoff, c, d, t);
    if (s.ok()) {
      cursor = c;
      done = d;
      tx = t;
    }
    return s;
  });
}

Status PgRetentionStore::PruneStatusLogStep(int64_t cutoff, bool& done, PruneReport& tx) {
  return RetryPgTransaction([&] {
    bool d = false;
    PruneReport t;
    Status s = StatusLogOnce(cutoff, d, t);
    if (s.ok()) {
      done = d;
      tx = t;
    }
    return s;
  });
}

PruneReport PgRetentionStore::RunOnce(int64_t now_ms, PgSingletonLock& lock) {
  PruneReport report;
  if (options_.batch_rows < 1) {
    report.status = Status::InvalidField("retention: batch_rows must be at least 1");
    return report;
  }
  auto got = lock.TryAcquire();
  if (!got.ok()) {
    report.status = got.status();
    return report;
  }
  if (!*got) {
    report.skipped = true;
    return report;
  }
  // Runs `step` one transaction at a time until its table is done; false ends the pass.
  auto run = [&](auto&& step) {
    bool done = false;
    while (!done) {
      // Between transactions: a node that lost its session lost the lock, and another may run.
      if (!lock.StillHeld()) {
        report.status = Status::Unavailable("retention: the single runner's lock was lost");
        return false;
      }
      PruneReport tx;
      if (Status s = step(done, tx); !s.ok()) {
        report.status = s;
        return false;
      }
      report.events += tx.events;
      report.messages += tx.messages;
      report.deliveries += tx.deliveries;
      report.attempts += tx.attempts;
      report.status_log += tx.status_log;
      report.transactions += 1;
      report.max_rows_per_transaction = std::max(report.max_rows_per_transaction, tx.total());
    }
    return true;
  };
  auto pass = [&] {
    if (options_.data) {
      const int64_t cutoff = now_ms - options_.data->count();
      const int64_t idempotency_cutoff = std::min(cutoff, now_ms - kIdempotencyWindowMs);
      int64_t cursor = 0;
      if (!run([&](bool& done, PruneReport& tx) {
            return PruneMessagesStep(cutoff, idempotency_cutoff, cursor, done, tx);
          }))
        return;
      cursor = 0;
      if (!run([&](bool& done, PruneReport& tx) {
            return PruneEventsStep(cutoff, cursor, done, tx);
          }))
        return;
    }
    if (options_.status_log) {
      const int64_t cutoff = now_ms - options_.status_log->count();
      run([&](bool& done, PruneReport& tx) { return PruneStatusLogStep(cutoff, done, tx); });
    }
  };
  pass();
  lock.Release();
  return report;
}

Status PgRetentionStore::MessagesOnce(int64_t cutoff, int64_t idempotency_cutoff, int64_t& cursor,
                                      bool& done, PruneReport& tx) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  // The message of the newest delivery stays, as on SQLite (where deliveries.seq, a rowid, must
  // never be freed for reuse); an identity column does not need it, but the engines keep the same
  // rows.
  auto newest = (*conn)->Exec("SELECT message_id FROM deliveries ORDER BY seq DESC LIMIT 1");
  if (!newest.ok()) return newest.status();
  const std::string newest_delivery_message =
      newest->rows() > 0 ? std::string(newest->Text(0, 0)) : std::string();
  auto sel = (*conn)->Exec(
      "SELECT m.seq, m.id, m.created_at, m.idempotency_key IS NOT NULL,"
      " EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id"
      "  AND (d.status IN ('pending', 'retrying') OR d.next_attempt_at IS NOT NULL"
      "   OR d.updated_at >= $2))"
      " FROM messages m WHERE m.seq > $1 ORDER BY m.seq LIMIT $3",
      {cursor, cutoff, options_.batch_rows});
  if (!sel.ok()) return sel.status();
  struct Candidate {
    int64_t seq;
    std::string id;
  };
  std::vector<Candidate> candidates;
  bool reached_window = false;
  for (int i = 0; i < sel->rows(); ++i) {
    int64_t created_at = 0;
    if (Status s = ReadInt(*sel, i, 2, created_at); !s.ok()) return s;
    if (created_at >= cutoff) {
      reached_window = true;
      break;
    }
    int64_t seq = 0;
    if (Status s = ReadInt(*sel, i, 0, seq); !s.ok()) return s;
    cursor = seq;
    auto keyed = sel->Bool(i, 3);
    if (!keyed.ok()) return keyed.status();
    auto busy = sel->Bool(i, 4);
    if (!busy.ok()) return busy.status();
    const std::string id(sel->Text(i, 1));
    if ((*keyed && created_at >= idempotency_cutoff) || *busy || id == newest_delivery_message)
      continue;  // kept
    candidates.push_back({seq, id});
  }
  done = reached_window || sel->rows() < options_.batch_rows;

  int64_t rows = 0;
  for (const Candidate& c : candidates) {
    // The message first, then its deliveries, both FOR UPDATE: a writer changing a delivery
    // (a retry, a recovery) waits for this transaction or this one waits for it and reads its
    // committed result; one adding a delivery to the message waits on the message's lock.
    auto locked = (*conn)->Exec("SELECT 1 FROM messages WHERE id = $1 FOR UPDATE", {c.id});
    if (!locked.ok()) return locked.status();
    if (locked->rows() == 0) continue;  // gone already (the reaper, another pass)
    auto still = DeliveriesStillFinal(**conn, c.id, cutoff);
    if (!still.ok()) return still.status();
    if (!*still) continue;
    auto counts = (*conn)->Exec(
        "SELECT (SELECT COUNT(*) FROM deliveries WHERE message_id = $1),"
        " (SELECT COUNT(*) FROM deliveries d JOIN attempts a ON a.delivery_id = d.id"
        "  WHERE d.message_id = $1)",
        {c.id});
    if (!counts.ok()) return counts.status();
    int64_t deliveries = 0;
    if (Status s = ReadInt(*counts, 0, 0, deliveries); !s.ok()) return s;
    int64_t attempts = 0;
    if (Status s = ReadInt(*counts, 0, 1, attempts); !s.ok()) return s;
    if (rows > 0 && rows + 1 + deliveries + attempts > options_.batch_rows) {
      cursor = c.seq - 1;  // this one and those after it in the next transaction
      done = false;
      break;
    }
    auto a = (*conn)->Exec(
        "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_id = "
        "$1)",
        {c.id});
    if (!a.ok()) return a.status();
    tx.attempts += a->Affected();
    auto d = (*conn)->Exec("DELETE FROM deliveries WHERE message_id = $1", {c.id});
    if (!d.ok()) return d.status();
    tx.deliveries += d->Affected();
    auto m = (*conn)->Exec("DELETE FROM messages WHERE id = $1", {c.id});
    if (!m.ok()) return m.status();
    tx.messages += m->Affected();
    rows = tx.total();
  }
  return (*txn)->Commit();
}

Status PgRetentionStore::EventsOnce(int64_t cutoff, int64_t& cursor, bool& done, PruneReport& tx) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  auto sel = (*conn)->Exec(
      "SELECT e.seq, e.received_at, EXISTS (SELECT 1 FROM messages m WHERE m.event_id = e.id)"
      " FROM events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
      {cursor, options_.batch_rows});
  if (!sel.ok()) return sel.status();
  bool reached_window = false;
  std::vector<int64_t> doomed;
  for (int i = 0; i < sel->rows(); ++i) {
    int64_t received_at = 0;
    if (Status s = ReadInt(*sel, i, 1, received_at); !s.ok()) return s;
    if (received_at >= cutoff) {
      reached_window = true;
      break;
    }
    int64_t seq = 0;
    if (Status s = ReadInt(*sel, i, 0, seq); !s.ok()) return s;
    cursor = seq;
    auto referred = sel->Bool(i, 2);
    if (!referred.ok()) return referred.status();
    if (!*referred) doomed.push_back(seq);
  }
  done = reached_window || sel->rows() < options_.batch_rows;
  for (int64_t seq : doomed) {
    // Checked again in the deleting statement: a message committed since the SELECT keeps it.
    auto del = (*conn)->Exec(
        "DELETE FROM events e WHERE e.seq = $1"
        " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.event_id = e.id)",
        {seq});
    if (!del.ok()) return del.status();
    tx.events += del->Affected();
  }
  return (*txn)->Commit();
}

Status PgRetentionStore::StatusLogOnce(int64_t cutoff, bool& done, PruneReport& tx) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  // The oldest entries while they are past the window; the newest entry stays, as on SQLite
  // (status_log_head keeps seq increasing here, so it is kept only for the engines' sameness).
  auto sel = (*conn)->Exec(
      "SELECT seq, at, seq = (SELECT MAX(seq) FROM status_log) FROM status_log"
      " ORDER BY seq LIMIT $1",
      {options_.batch_rows});
  if (!sel.ok()) return sel.status();
  int64_t last = -1;
  bool reached_window = false;
  for (int i = 0; i < sel->rows(); ++i) {
    int64_t at = 0;
    if (Status s = ReadInt(*sel, i, 1, at); !s.ok()) return s;
    auto newest = sel->Bool(i, 2);
    if (!newest.ok()) return newest.status();
    if (at >= cutoff || *newest) {
      reached_window = true;
      break;
    }
    int64_t seq = 0;
    if (Status s = ReadInt(*sel, i, 0, seq); !s.ok()) return s;
    last = seq;
  }
  done = reached_window || sel->rows() < options_.batch_rows;
  if (last >= 0) {
    auto del = (*conn)->Exec("DELETE FROM status_log WHERE seq <= $1", {last});
    if (!del.ok()) return del.status();
    tx.status_log += del->Affected();
  }
  return (*txn)->Commit();
}

}  // namespace hookd
