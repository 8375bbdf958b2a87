#include "storage/pg/pg_event_store.h"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <tuple>

#include "storage/pg/pg_retry.h"

namespace hookd {
namespace {

constexpr std::string_view kInsert =
    "INSERT INTO events (id, source_id, provider, provider_event_id, type, headers, body,"
    " received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (source_id, provider_event_id) DO NOTHING RETURNING seq";
constexpr std::string_view kFind =
    "SELECT id FROM events WHERE source_id = $1 AND provider_event_id = $2";
// A winner that vanished between the conflict and the read (retention deleted it) is inserted
// again; this many times before giving up.
constexpr int kInsertRounds = 3;

// Inserts `e`, or finds the stored event with its key. `inserted` tells which.
Result<std::string> InsertOrFind(PgConn& conn, const Event& e, bool& inserted) {
  for (int round = 0; round < kInsertRounds; ++round) {
    auto ins = conn.Exec(kInsert, {e.id, e.source_id, e.provider, e.provider_event_id, e.type,
                                   e.headers_json, PgParam::Bytes(e.body), e.received_at});
    if (!ins.ok()) return ins.status();
    if (ins->rows() == 1) {
      inserted = true;
      return e.id;
    }
    // Under READ COMMITTED this statement sees the row that made the insert do nothing: the
    // insert waited for its transaction to commit.
    auto found = conn.Exec(kFind, {e.source_id, e.provider_event_id});
    if (!found.ok()) return found.status();
    if (found->rows() == 1) {
      inserted = false;
      return std::string(found->Text(0, 0));
    }
  }
  return Status::Internal("dedup conflict without a stored event");
}

Result<Event> ReadEvent(const PgResult& r, int row, bool with_body) {
  auto seq = r.Int(row, 0);
  if (!seq.ok()) return seq.status();
  auto received_at = r.Int(row, 6);
  if (!received_at.ok()) return received_at.status();
  Event e;
  e.seq = *seq;
  e.id = r.Text(row, 1);
  e.source_id = r.Text(row, 2);
  e.provider = r.Text(row, 3);
  e.provider_event_id = r.Text(row, 4);
  e.type = r.Text(row, 5);
  e.received_at = *received_at;
  if (with_body) {
    e.headers_json = r.Text(row, 7);
    auto body = r.Bytes(row, 8);
    if (!body.ok()) return body.status();
    e.body = std::move(body).value();
  }
  return e;
}

}  // namespace

Result<std::vector<IngestOutcome>> PgEventStore::CommitBatch(const std::vector<Event>& batch) {
  return RetryPgTransaction([&] { return CommitOnce(batch); });
}

Result<std::vector<IngestOutcome>> PgEventStore::CommitOnce(const std::vector<Event>& batch) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  if (before_batch_) {
    if (Status s = before_batch_(**conn); !s.ok()) return s;
  }
  // Inserted in key order (the batch's order among equal keys, so the first copy wins as on
  // SQLite): every writer takes the unique index's keys in the same order.
  std::vector<size_t> order(batch.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&batch](size_t a, size_t b) {
    return std::tie(batch[a].source_id, batch[a].provider_event_id) <
           std::tie(batch[b].source_id, batch[b].provider_event_id);
  });
  std::vector<IngestOutcome> out(batch.size());
  for (size_t i : order) {
    bool inserted = false;
    auto id = InsertOrFind(**conn, batch[i], inserted);
    if (!id.ok()) return id.status();
    out[i] = {std::move(id).value(), !inserted};
  }
  PgStatusEntries entries;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (out[i].duplicate) continue;
    const Event& e = batch[i];
    entries.Append("event.received", e.received_at,
                   {{"app_id", e.app_id},
                    {"event_id", e.id},
                    {"source_id", e.source_id},
                    {"provider", e.provider},
                    {"type", e.type},
                    {"provider_event_id", e.provider_event_id}});
    if (after_insert_) {
      if (Status s = after_insert_(**conn, entries, e); !s.ok()) return s;
    }
  }
  auto committed = CommitWithStatus(**txn, std::move(entries));
  if (!committed.ok()) return committed.status();
  return out;
}

Result<Event> PgEventStore::Get(const std::string& id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT seq, id, source_id, provider, provider_event_id, type, received_at, headers, body"
      " FROM events WHERE id = $1",
      {id});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("no event " + id);
  return ReadEvent(*r, 0, true);
}

Result<std::vector<Event>> PgEventStore::List(const EventFilter& filter,
                                              const std::optional<std::string>& after, int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto opt = [](const std::optional<std::string>& v) { return v ? PgParam(*v) : PgParam(nullptr); };
  auto r = (*conn)->Exec(
      "SELECT seq, id, source_id, provider, provider_event_id, type, received_at FROM events"
      " WHERE ($1::text IS NULL OR source_id = $1) AND ($2::text IS NULL OR type = $2)"
      " AND ($3::text IS NULL OR seq < (SELECT seq FROM events WHERE id = $3))"
      " ORDER BY seq DESC LIMIT $4",
      {opt(filter.source_id), opt(filter.type), opt(after), static_cast<int64_t>(limit) + 1});
  if (!r.ok()) return r.status();
  std::vector<Event> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    auto e = ReadEvent(*r, row, false);
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  return out;
}

}  // namespace hookd
