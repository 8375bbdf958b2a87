#include "deliver/message_service.h"

#include <map>

#include "common/api_helpers.h"
#include "common/json_limits.h"
#include "common/list_page.h"
#include "common/time_format.h"
#include "deliver/endpoint_disabled.h"
#include "deliver/fanout.h"
#include "deliver/message_rows.h"

namespace hookd {
namespace {

// A delivery with what its wait is computed from (DeliveryJson): its lease, its manual retry and
// its endpoint's circuit. Read as "SELECT <columns> FROM <kDeliveryFrom>".
constexpr char kDeliveryColumns[] =
    "d.id, d.message_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.last_status,"
    " d.last_error, d.created_at, d.updated_at, d.lease_until, d.manual_return_status,"
    " e.circuit, e.circuit_retry_at";
constexpr char kDeliveryFrom[] = " FROM deliveries d LEFT JOIN endpoints e ON e.id = d.endpoint_id";

std::optional<int64_t> OptionalMillis(const Stmt& st, int col) {
  return st.IsNull(col) ? std::nullopt : std::optional<int64_t>(st.Int(col));
}
std::optional<std::string> NullableText(const Stmt& st, int col) {
  return st.IsNull(col) ? std::nullopt : std::optional<std::string>(st.Text(col));
}

// A row of "SELECT <kDeliveryColumns> <kDeliveryFrom>" as the API shows it at `now`
// (deliver/message_rows.h).
nlohmann::json DeliveryJson(const Stmt& st, int64_t now) {
  DeliveryRow d;
  d.id = st.Text(0);
  d.message_id = st.Text(1);
  d.endpoint_id = st.Text(2);
  d.status = st.Text(3);
  d.attempts = st.Int(4);
  d.next_attempt_at = OptionalMillis(st, 5);
  d.last_status = OptionalMillis(st, 6);
  d.last_error = NullableText(st, 7);
  d.created_at = st.Int(8);
  d.updated_at = st.Int(9);
  d.lease_until = OptionalMillis(st, 10);
  d.manual = !st.IsNull(11);
  d.circuit = NullableText(st, 12);
  d.circuit_retry_at = OptionalMillis(st, 13);
  return DeliveryJson(d, now);
}

// Binds a ListQuery's parameters, then the limit plus one (to learn whether there is more).
void BindAll(Stmt& st, const std::vector<std::string>& params, int limit) {
  int i = 1;
  for (const std::string& p : params) st.Bind(i++, p);
  st.Bind(i, static_cast<int64_t>(limit) + 1);
}

Result<nlohmann::json> Rows(Stmt& st, int limit,
                            const std::function<nlohmann::json(const Stmt&)>& row) {
  auto page = ReadPage(st, limit, row);
  if (!page.ok()) return page.status();
  return ListJson(std::move(page->items), page->more);
}

MessageRow ReadMessageRow(const Stmt& st) {
  MessageRow m;
  m.id = st.Text(0);
  m.event_type = st.Text(1);
  m.source_id = NullableText(st, 2);
  m.event_id = NullableText(st, 3);
  m.created_at = st.Int(4);
  return m;
}

nlohmann::json MessageSummary(const Stmt& st) { return MessageSummaryJson(ReadMessageRow(st)); }

// The refusal of a manual retry while the endpoint's circuit is open or half-open (409
// circuit_open): its attempt could not be made now, so nothing is queued. Retry-After is the time
// left of the cool-down.
Status CircuitNotClosed(const std::string& endpoint_id, const std::string& circuit,
                        std::optional<int64_t> retry_at, int64_t now) {
  std::string message = "the circuit of endpoint " + endpoint_id + " is " + circuit;
  if (circuit == "open" && retry_at && *retry_at > now)
    message += " until " + FormatRfc3339(*retry_at) +
               " after repeated failures: nothing is sent to it before then, when one probe "
               "attempt decides";
  else
    message += ": a probe attempt decides whether it closes";
  message += "; the delivery keeps its place; retry by hand once the circuit is closed";
  Status s = Status::Conflict("circuit_open", message);
  if (circuit == "open" && retry_at && *retry_at > now)
    s.WithRetryAfter((*retry_at - now + 999) / 1000);
  return s;
}

}  // namespace

MessageService::~MessageService() { Stop(); }

Status MessageService::Start(SharedWriter* writer) {
  // The writer's commits do not sync; with synchronous=FULL (the default) CommitMessages syncs
  // the WAL after each commit, after letting go of the connection, and only then answers
  // (docs/DECISIONS.md, "The messages writer syncs outside the write lock"). With NORMAL, which
  // the operator chose, it does not sync.
  const bool sync_wal = pool_.options().synchronous == "FULL";
  if (!writer) {
    auto own = SharedWriter::Open(pool_.path(), pool_.options());
    if (!own.ok()) return own.status();
    own_writer_ = std::move(own).value();
    writer = own_writer_.get();
  }
  writer_ = writer;
  committer_ = std::make_unique<BatchCommitter<NewMessage, Result<nlohmann::json>>>(
      [this, sync_wal](std::vector<NewMessage>& batch) {
        return CommitMessages(*writer_, batch, sync_wal);
      },
      "the message", 512, observer_);
  committer_->Start("hookd-publish");
  return Status::Ok();
}

void MessageService::Stop() {
  if (committer_) committer_->Stop();
}

Result<NewMessage> MessageService::Prepare(const nlohmann::json& req,
                                           const std::optional<std::string>& key,
                                           const std::string& app_id) {
  return PrepareMessage(req, key, app_id, clock_, random_);
}

Status MessageService::CommitOne(Db& db, NewMessage& m, const EndpointSnapshot& endpoints,
                                 int64_t now, std::vector<Result<nlohmann::json>>& out,
                                 int& deliveries) {
  if (m.idempotency_key) {
    // An earlier message of this batch is visible here too: concurrent duplicates get the first
    // answer.
    auto prior_st = db.Cached(
        "SELECT id, response, created_at, request_hash FROM messages"
        " WHERE app_id = ? AND idempotency_key = ?");
    if (!prior_st.ok()) return prior_st.status();
    auto row = (*prior_st)->Bind(1, m.app_id).Bind(2, *m.idempotency_key).Step();
    if (!row.ok()) return row.status();
    if (*row) {
      PriorMessage prior;
      prior.id = (*prior_st)->Text(0);
      prior.response = (*prior_st)->Text(1);
      prior.created_at = (*prior_st)->Int(2);
      prior.request_hash = NullableText(**prior_st, 3);
      (*prior_st)->Reset();
      const RepeatedKey repeat = ClassifyRepeat(prior, m, now);
      if (repeat == RepeatedKey::kReused) {
        out.push_back(IdempotencyKeyReused());
        return Status::Ok();
      }
      if (repeat == RepeatedKey::kAnswer) {
        auto answer = ParseJsonBounded(prior.response);
        if (!answer.ok()) return answer.status();
        out.push_back(std::move(answer).value());
        return Status::Ok();
      }
      // Expired: the key is free again; the old message keeps its history.
      auto clear = db.Cached("UPDATE messages SET idempotency_key = NULL WHERE id = ?");
      if (!clear.ok()) return clear.status();
      if (Status s = (*clear)->Bind(1, prior.id).Run(); !s.ok()) return s;
    } else {
      (*prior_st)->Reset();
    }
  }
  m.created_at = now;
  // What InsertMessage will make (the answer is stored with the message).
  nlohmann::json response = PublishAnswer(m, endpoints);
  m.response = DumpJson(response);
  auto count = InsertMessage(db, m, endpoints, clock_, random_);
  if (!count.ok()) return count.status();
  deliveries += *count;
  out.push_back(std::move(response));
  return Status::Ok();
}

Result<std::vector<Result<nlohmann::json>>> MessageService::CommitMessagesIn(
    Db& db, std::vector<NewMessage>& batch, int& deliveries) {
  std::vector<Result<nlohmann::json>> out;
  out.reserve(batch.size());
  Status s;
  {
    auto txn = Transaction::Begin(db);
    if (!txn.ok()) return txn.status();
    // The endpoints as this transaction sees them: one committed change before it (a 410 that
    // disabled one) is never missed for a snapshot the cache made earlier.
    auto endpoints = endpoints_.GetIn(db);
    if (!endpoints.ok()) s = endpoints.status();
    const int64_t now = clock_.NowUnixMillis();
    for (NewMessage& m : batch) {
      if (!s.ok()) break;
      s = CommitOne(db, m, **endpoints, now, out, deliveries);
    }
    db.ResetCached();
    if (s.ok()) s = (*txn)->Commit();
  }  // a transaction that did not commit rolls back here
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<Result<nlohmann::json>>> MessageService::CommitMessages(
    SharedWriter& writer, std::vector<NewMessage>& batch, bool sync_wal) {
  int deliveries = 0;
  auto out = [&] {
    SharedWriter::Held db = writer.Hold();
    return CommitMessagesIn(*db, batch, deliveries);
  }();
  if (!out.ok()) return out;
  // Durable before anyone is told: the requests are answered after this returns.
  if (sync_wal) {
    if (Status s = writer.SyncWal(); !s.ok()) {
      return Status::Unavailable("the batch was committed but could not be made durable (" +
                                 s.message() + "); it may or may not be stored");
    }
  }
  Committed(deliveries);
  return out;
}

Result<nlohmann::json> MessageService::CommitAlone(NewMessage m) {
  int deliveries = 0;
  std::vector<NewMessage> batch{std::move(m)};
  auto out = [&]() -> Result<std::vector<Result<nlohmann::json>>> {
    auto db = pool_.Acquire();  // a FULL-sync connection
    if (!db.ok()) return db.status();
    return CommitMessagesIn(**db, batch, deliveries);
  }();
  if (!out.ok()) return out.status();
  Committed(deliveries);
  return std::move(out->front());
}

void MessageService::Committed(int deliveries) {
  if (status_committed_) status_committed_();
  if (deliveries > 0 && wake_) wake_(WakeReason::kNewDeliveries);
}

void MessageService::Publish(const nlohmann::json& req, const std::optional<std::string>& key,
                             Done done, const std::string& app_id) {
  auto m = Prepare(req, key, app_id);
  if (!m.ok()) return done(m.status());
  if (!committer_) return done(Status::Unavailable("the messages writer is not running"));
  committer_->Submit(std::move(m).value(),
                     [done = std::move(done)](Result<Result<nlohmann::json>> r) {
                       if (!r.ok()) return done(r.status());
                       done(std::move(r).value());
                     });
}

Result<nlohmann::json> MessageService::Create(const nlohmann::json& req,
                                              const std::optional<std::string>& key,
                                              const std::string& app_id) {
  auto m = Prepare(req, key, app_id);
  if (!m.ok()) return m.status();
  return CommitAlone(std::move(m).value());
}

Result<nlohmann::json> MessageService::SendTest(const std::string& endpoint_id,
                                                const nlohmann::json& req,
                                                const std::optional<std::string>& app_id) {
  if (Status s = RejectUnknownFields(req, {"event_type", "payload"}); !s.ok()) return s;
  auto snapshot = endpoints_.Get();
  if (!snapshot.ok()) return snapshot.status();
  const Endpoint* e = EndpointCache::Find(*snapshot, endpoint_id);
  if (!e || (app_id && e->app_id != *app_id)) return Status::NotFound("no endpoint " + endpoint_id);
  if (e->disabled)
    return Status(ErrorKind::kConflict, "endpoint_disabled",
                  "the endpoint is disabled; enable it before sending a test message");
  nlohmann::json message = {{"event_type", req.value("event_type", nlohmann::json("hookd.test"))}};
  message["payload"] =
      req.contains("payload")
          ? req.at("payload")
          : nlohmann::json{
                {"type", message["event_type"]},
                {"timestamp", FormatRfc3339(clock_.NowUnixMillis())},
                {"data", {{"message", "a test message from hookd"}, {"endpoint_id", endpoint_id}}}};
  auto m = Prepare(message, std::nullopt, e->app_id);
  if (!m.ok()) return m.status();
  m->only_endpoint_id = endpoint_id;
  return CommitAlone(std::move(m).value());
}

Result<nlohmann::json> MessageService::Get(const std::string& id,
                                           const std::optional<std::string>& app_id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT m.id, m.event_type, m.source_id, m.event_id, m.created_at,"
      " COALESCE(m.payload, e.body), m.app_id FROM messages m"
      " LEFT JOIN events e ON e.id = m.event_id WHERE m.id = ?1 AND (?2 IS NULL OR m.app_id = ?2)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  if (app_id) (*st)->Bind(2, *app_id);
  auto row = (*st)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no message " + id);
  nlohmann::json j = MessageJson(ReadMessageRow(**st), (*st)->Text(6), (*st)->Text(5));
  auto dl = (*db)->Cached(std::string("SELECT ") + kDeliveryColumns + kDeliveryFrom +
                          " WHERE d.message_id = ? ORDER BY d.seq");
  if (!dl.ok()) return dl.status();
  (*dl)->Bind(1, id);
  const int64_t now = clock_.NowUnixMillis();
  auto deliveries = Rows(**dl, 1000, [now](const Stmt& st) { return DeliveryJson(st, now); });
  if (!deliveries.ok()) return deliveries.status();
  j["deliveries"] = (*deliveries)["data"];
  return j;
}

Result<nlohmann::json> MessageService::List(const MessageFilter& filter,
                                            const std::optional<std::string>& after, int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  const ListQuery q =
      MessagesQuery("id, event_type, source_id, event_id, created_at", filter, after);
  auto st = (*db)->Cached(q.sql);
  if (!st.ok()) return st.status();
  BindAll(**st, q.params, limit);
  return Rows(**st, limit, MessageSummary);
}

Result<nlohmann::json> MessageService::ListDeliveries(const DeliveryFilter& f,
                                                      const std::optional<std::string>& after,
                                                      int limit) {
  auto q = DeliveriesQuery(kDeliveryColumns, f, after);
  if (!q.ok()) return q.status();
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(q->sql);
  if (!st.ok()) return st.status();
  BindAll(**st, q->params, limit);
  const int64_t now = clock_.NowUnixMillis();
  auto list = Rows(**st, limit, [now](const Stmt& row) { return DeliveryJson(row, now); });
  if (!list.ok()) return list;
  // The event type of each delivery's message, one lookup by id per message on the page.
  auto type = (*db)->Cached("SELECT event_type FROM messages WHERE id = ?");
  if (!type.ok()) return type.status();
  std::map<std::string, nlohmann::json> types;
  for (nlohmann::json& d : (*list)["data"]) {
    const std::string message_id = d["message_id"].get<std::string>();
    auto known = types.find(message_id);
    if (known == types.end()) {
      auto row = (*type)->Bind(1, message_id).Step();
      if (!row.ok()) return row.status();
      nlohmann::json t = *row ? nlohmann::json((*type)->Text(0)) : nlohmann::json(nullptr);
      (*type)->Reset();
      known = types.emplace(message_id, std::move(t)).first;
    }
    d["event_type"] = known->second;
  }
  return list;
}

Result<nlohmann::json> MessageService::GetDelivery(const std::string& id,
                                                   const std::optional<std::string>& app_id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(std::string("SELECT ") + kDeliveryColumns + kDeliveryFrom +
                          " WHERE d.id = ?1 AND (?2 IS NULL OR d.app_id = ?2)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  if (app_id) (*st)->Bind(2, *app_id);
  auto row = (*st)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no delivery " + id);
  nlohmann::json j = DeliveryJson(**st, clock_.NowUnixMillis());
  auto at = (*db)->Cached(
      "SELECT id, number, started_at, duration_ms, response_status, response_body, error"
      " FROM attempts WHERE delivery_id = ? ORDER BY number");
  if (!at.ok()) return at.status();
  (*at)->Bind(1, id);
  nlohmann::json attempts = nlohmann::json::array();
  while (true) {
    auto r = (*at)->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    const Stmt& a = **at;
    AttemptRow row;
    row.id = a.Text(0);
    row.number = a.Int(1);
    row.started_at = a.Int(2);
    row.duration_ms = a.Int(3);
    row.response_status = OptionalMillis(a, 4);
    row.response_body = NullableText(a, 5);
    row.error = NullableText(a, 6);
    attempts.push_back(AttemptJson(row));
  }
  j["attempts"] = std::move(attempts);
  return j;
}

Result<nlohmann::json> MessageService::RetryDelivery(const std::string& id,
                                                     const std::optional<std::string>& app_id) {
  // Another application's delivery is 404, as an unknown one (it can never change application).
  if (app_id) {
    if (auto own = GetDelivery(id, app_id); !own.ok()) return own.status();
  }
  {
    auto db = pool_.Acquire();
    if (!db.ok()) return db.status();
    const int64_t now = clock_.NowUnixMillis();
    // One attempt now (docs/DECISIONS.md, "A manual retry is one attempt"): the delivery keeps
    // its status, retry index and, when retrying, its next_attempt_at in manual_return_*, and
    // the attempt's failure returns it there (AttemptRecorder). A pending delivery's attempt is
    // its first one brought forward, with nothing to return to. A second retry before the
    // attempt keeps the first one's return point. Refused in the same statement, so a change
    // made meanwhile is seen: a disabled endpoint (its delivery would fail without an attempt)
    // and a circuit that is not closed (nothing would be sent before its cool-down ends).
    auto st = (*db)->Cached(
        "UPDATE deliveries SET"
        " manual_return_status = CASE WHEN manual_return_status IS NOT NULL"
        "  THEN manual_return_status WHEN status = 'pending' THEN NULL ELSE status END,"
        " manual_return_at = CASE WHEN manual_return_status IS NOT NULL THEN manual_return_at"
        "  WHEN status = 'retrying' THEN next_attempt_at ELSE NULL END,"
        " next_attempt_at = ?1, lease_until = NULL, updated_at = ?1"
        " WHERE id = ?2 AND (lease_until IS NULL OR lease_until < ?1) AND NOT EXISTS"
        " (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id"
        "  AND (e.disabled != 0 OR e.circuit != 'closed'))");
    if (!st.ok()) return st.status();
    if (Status s = (*st)->Bind(1, now).Bind(2, id).Run(); !s.ok()) return s;
    if ((*db)->Changes() == 0) {
      auto current = GetDelivery(id);
      if (!current.ok()) return current.status();
      const std::string endpoint_id = (*current)["endpoint_id"];
      auto ep =
          (*db)->Cached("SELECT disabled, circuit, circuit_retry_at FROM endpoints WHERE id = ?");
      if (!ep.ok()) return ep.status();
      auto row = (*ep)->Bind(1, endpoint_id).Step();
      if (!row.ok()) return row.status();
      const bool found = *row;
      const bool disabled = found && (*ep)->Int(0) != 0;
      const std::string circuit = found ? (*ep)->Text(1) : "closed";
      const std::optional<int64_t> retry_at = found ? OptionalMillis(**ep, 2) : std::nullopt;
      (*ep)->Reset();
      if (disabled) return EndpointDisabled(endpoint_id);
      if (circuit != "closed") return CircuitNotClosed(endpoint_id, circuit, retry_at, now);
      return Status::Conflict("attempt_in_progress", "an attempt of " + id + " is in progress");
    }
  }
  if (wake_) wake_(WakeReason::kAnything);  // an existing delivery is due again
  return GetDelivery(id);
}

}  // namespace hookd
