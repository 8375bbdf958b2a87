#include "storage/pg/pg_message_store.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>

#include "common/ids.h"
#include "common/json_limits.h"
#include "deliver/message_request.h"
#include "storage/pg/pg_error.h"
#include "storage/pg/pg_event_type_store.h"
#include "storage/pg/pg_retry.h"
#include "storage/pg/pg_rows.h"
#include "storage/pg/pg_status_log.h"

namespace hookd {
namespace {

// How many times one message tries its key before the transaction is run again: each turn either
// inserts, or finds the key's holder, or frees an expired key (another node may take it first).
constexpr int kKeyTurns = 3;

// Inserts the message unless its Idempotency-Key is held (by a committed message, or by one of
// this transaction's; an uncommitted holder of another transaction is waited for). True when
// inserted. A message without a key is always inserted.
Result<bool> InsertUnlessKeyHeld(PgConn& conn, const NewMessage& m) {
  auto r = conn.Exec(
      "INSERT INTO messages (id, event_type, source_id, event_id, payload, idempotency_key,"
      " request_hash, response, created_at, app_id)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10)"
      " ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
      " RETURNING id",
      {m.id, m.event_type, OptionalText(m.source_id), OptionalText(m.event_id),
       m.event_id && m.payload.empty() ? PgParam(nullptr) : PgParam::Bytes(m.payload),
       OptionalText(m.idempotency_key), OptionalText(m.request_hash), m.response, m.created_at,
       m.app_id});
  if (!r.ok()) return r.status();
  return r->rows() > 0;
}

// The message holding `m`'s key, as this statement's snapshot sees it (none: it was freed).
Result<std::optional<PriorMessage>> ReadKeyHolder(PgConn& conn, const NewMessage& m) {
  auto r = conn.Exec(
      "SELECT id, response, created_at, request_hash FROM messages"
      " WHERE app_id = $1 AND idempotency_key = $2",
      {m.app_id, *m.idempotency_key});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<PriorMessage>();
  PriorMessage prior;
  prior.id = std::string(r->Text(0, 0));
  prior.response = std::string(r->Text(0, 1));
  auto created = r->Int(0, 2);
  if (!created.ok()) return created.status();
  prior.created_at = *created;
  if (!r->IsNull(0, 3)) prior.request_hash = std::string(r->Text(0, 3));
  return std::optional<PriorMessage>(std::move(prior));
}

// Inserts `m`, or sets `answer` to what its key answers (the first answer, or the refusal of a
// reused key), as CommitOne does on SQLite. The key is the unique index's: never read first.
Status InsertOrAnswer(PgConn& conn, const NewMessage& m, int64_t now,
                      std::optional<Result<nlohmann::json>>& answer) {
  for (int turn = 0; turn < kKeyTurns; ++turn) {
    auto inserted = InsertUnlessKeyHeld(conn, m);
    if (!inserted.ok()) return inserted.status();
    if (*inserted) return Status::Ok();
    auto prior = ReadKeyHolder(conn, m);
    if (!prior.ok()) return prior.status();
    if (!*prior) continue;  // freed meanwhile by another node: try again
    switch (ClassifyRepeat(**prior, m, now)) {
      case RepeatedKey::kReused:
        answer = IdempotencyKeyReused();
        return Status::Ok();
      case RepeatedKey::kAnswer: {
        auto first = ParseJsonBounded((*prior)->response);
        if (!first.ok()) return first.status();
        answer = std::move(first).value();
        return Status::Ok();
      }
      case RepeatedKey::kExpired: {
        // The key is free again; the old message keeps its history. Guarded by the key, so of two
        // nodes freeing it one does, and the other then finds the new holder.
        auto clear = conn.Exec(
            "UPDATE messages SET idempotency_key = NULL"
            " WHERE id = $1 AND app_id = $2 AND idempotency_key = $3",
            {(*prior)->id, m.app_id, *m.idempotency_key});
        if (!clear.ok()) return clear.status();
        break;
      }
    }
  }
  std::string message = "the Idempotency-Key ";
  message += *m.idempotency_key;
  message += " kept changing hands while this message was being stored";
  return Status(ErrorKind::kUnavailable, std::string(kPgRetryCode), std::move(message));
}

// Indices of `batch` where `keep` holds, stably sorted by `key`.
template <typename Keep, typename Key>
std::vector<size_t> SortedIndices(const std::vector<NewMessage>& batch, Keep keep, Key key) {
  std::vector<size_t> order;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (keep(i)) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return key(batch[a]) < key(batch[b]); });
  return order;
}

}  // namespace

Result<std::vector<Result<nlohmann::json>>> PgMessageStore::Commit(
    std::vector<NewMessage>& batch, const EndpointSnapshot& endpoints, int& deliveries) {
  return RetryPgTransaction([&] { return CommitOnce(batch, endpoints, deliveries); });
}

Result<std::vector<Result<nlohmann::json>>> PgMessageStore::CommitOnce(
    std::vector<NewMessage>& batch, const EndpointSnapshot& endpoints, int& deliveries) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  const int64_t now = clock_.NowUnixMillis();
  // Each item's refusal or repeated answer; none for a message inserted.
  std::vector<std::optional<Result<nlohmann::json>>> refused(batch.size());
  std::vector<nlohmann::json> answers(batch.size());

  // The applications, in id order, each under the FOR SHARE lock of its live row: a deletion
  // committed before is seen (404, as the scoped route answers on SQLite), one coming after waits
  // for this commit and then deletes what it made (docs/DECISIONS.md, "PostgreSQL: applications").
  std::map<std::string, bool> live;
  for (const NewMessage& m : batch) live.emplace(m.app_id, false);
  for (auto& [app, is_live] : live) {
    auto locked = LockLiveApplication(**conn, app);
    if (!locked.ok()) return locked.status();
    is_live = *locked;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    NewMessage& m = batch[i];
    if (!live[m.app_id]) {
      refused[i] = PgNotFound("no application ", m.app_id);
      continue;
    }
    m.created_at = now;
    // What the fan-out below makes (the answer is stored with the message).
    answers[i] = PublishAnswer(m, endpoints);
    m.response = DumpJson(answers[i]);
  }

  // The messages in key order (the batch's order among equal keys, so the first copy wins as on
  // SQLite): every writer takes the unique index's keys in one order, and two batches holding the
  // same keys in opposite orders cannot deadlock.
  const auto keyed = SortedIndices(
      batch, [&](size_t i) { return !refused[i]; },
      [](const NewMessage& m) { return std::tie(m.app_id, m.idempotency_key); });
  for (size_t i : keyed) {
    if (Status s = InsertOrAnswer(**conn, batch[i], now, refused[i]); !s.ok()) return s;
  }

  // The deliveries, message by message in batch order, their ids drawn in SQLite's order, in one
  // statement.
  std::vector<int> counts(batch.size(), 0);
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (refused[i]) continue;
    const NewMessage& m = batch[i];
    for (const Endpoint* e : DeliveryTargets(m, endpoints)) {
      rows.push_back({NewId("dlv", clock_, random_), m.id, e->id, m.app_id, m.created_at});
      ++counts[i];
    }
  }
  if (!rows.empty()) {
    auto ins = (*conn)->Exec(
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, next_attempt_at,"
        " created_at, updated_at, app_id)"
        " SELECT d->>0, d->>1, d->>2, 'pending', (d->>4)::bigint, (d->>4)::bigint,"
        " (d->>4)::bigint, d->>3 FROM json_array_elements($1::json) WITH ORDINALITY AS t(d, n)"
        " ORDER BY n",
        {DumpJson(rows)});
    if (!ins.ok()) return ins.status();
  }

  // The event types seen, in (application, type) order, as PgEventTypeStore::Record asks.
  const auto typed = SortedIndices(
      batch, [&](size_t i) { return !refused[i]; },
      [](const NewMessage& m) { return std::tie(m.app_id, m.event_type); });
  for (size_t i : typed) {
    const NewMessage& m = batch[i];
    if (Status s = PgEventTypeStore::Record(**conn, m.app_id, m.event_type, m.created_at); !s.ok())
      return s;
  }

  PgStatusEntries entries;
  int made = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (refused[i]) continue;
    entries.Append("message.created", batch[i].created_at, MessageCreatedData(batch[i], counts[i]));
    made += counts[i];
  }
  auto committed = CommitWithStatus(**txn, std::move(entries));
  if (!committed.ok()) return committed.status();
  deliveries += made;
  std::vector<Result<nlohmann::json>> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (refused[i])
      out.push_back(std::move(*refused[i]));
    else
      out.push_back(std::move(answers[i]));
  }
  return out;
}

}  // namespace hookd
