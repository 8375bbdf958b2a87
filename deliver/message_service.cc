#include "deliver/message_service.h"

#include <map>

#include "common/api_helpers.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/json_limits.h"
#include "common/time_format.h"
#include "deliver/endpoint_disabled.h"
#include "deliver/fanout.h"

namespace hookd {
namespace {

constexpr char kDeliveryColumns[] =
    "id, message_id, endpoint_id, status, attempts, next_attempt_at, last_status, last_error,"
    " created_at, updated_at";

nlohmann::json OptionalTime(const Stmt& st, int col) {
  return st.IsNull(col) ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(st.Int(col)));
}
nlohmann::json OptionalInt(const Stmt& st, int col) {
  return st.IsNull(col) ? nlohmann::json(nullptr) : nlohmann::json(st.Int(col));
}
nlohmann::json OptionalText(const Stmt& st, int col) {
  return st.IsNull(col) ? nlohmann::json(nullptr) : nlohmann::json(st.Text(col));
}

nlohmann::json DeliveryJson(const Stmt& st) {
  const std::string status = st.Text(3);
  return {{"id", st.Text(0)},
          {"message_id", st.Text(1)},
          {"endpoint_id", st.Text(2)},
          {"status", status},
          {"attempts", st.Int(4)},
          {"next_attempt_at",
           status == "pending" || status == "retrying" ? OptionalTime(st, 5) : nullptr},
          {"last_response_status", OptionalInt(st, 6)},
          {"last_error", OptionalText(st, 7)},
          {"created_at", FormatRfc3339(st.Int(8))},
          {"updated_at", FormatRfc3339(st.Int(9))}};
}

// Binds a ListQuery's parameters, then the limit plus one (to learn whether there is more).
void BindAll(Stmt& st, const std::vector<std::string>& params, int limit) {
  int i = 1;
  for (const std::string& p : params) st.Bind(i++, p);
  st.Bind(i, static_cast<int64_t>(limit) + 1);
}

Result<nlohmann::json> Rows(Stmt& st, int limit, nlohmann::json (*row)(const Stmt&)) {
  nlohmann::json items = nlohmann::json::array();
  bool more = false;
  while (true) {
    auto r = st.Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    if (static_cast<int>(items.size()) == limit) {
      more = true;
      break;
    }
    items.push_back(row(st));
  }
  return ListJson(std::move(items), more);
}

nlohmann::json MessageSummary(const Stmt& st) {
  return {{"id", st.Text(0)},
          {"event_type", st.Text(1)},
          {"source_id", OptionalText(st, 2)},
          {"event_id", OptionalText(st, 3)},
          {"created_at", FormatRfc3339(st.Int(4))}};
}

bool ValidEventType(const std::string& t) {
  if (t.empty() || t.size() > 200) return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
        c != ':')
      return false;
  return true;
}

// What identifies a request made with an Idempotency-Key: event_type and source_id (neither can
// hold a newline; a present source_id is never empty) then the payload bytes as stored, which
// are canonical (keys sorted, no spaces), so a payload sent with its keys in another order is
// the same request.
std::string RequestHash(const NewMessage& m) {
  return HexEncode(Sha256(m.event_type + '\n' + m.source_id.value_or("") + '\n' + m.payload));
}

}  // namespace

MessageService::~MessageService() { Stop(); }

Status MessageService::Start() {
  // The writer's commits do not sync; with synchronous=FULL (the default) CommitMessages syncs
  // the WAL after each commit, outside SQLite's write lock, and only then answers
  // (docs/DECISIONS.md, "The messages writer syncs outside the write lock"). With NORMAL, which
  // the operator chose, it does not sync.
  DbOptions options = pool_.options();
  const bool sync_wal = options.synchronous == "FULL";
  options.synchronous = "NORMAL";
  auto writer = Db::Open(pool_.path(), options);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(writer).value();
  committer_ = std::make_unique<BatchCommitter<NewMessage, Result<nlohmann::json>>>(
      [this, sync_wal](std::vector<NewMessage>& batch) {
        return CommitMessages(*writer_, batch, sync_wal);
      },
      "the message", 512, observer_);
  committer_->Start();
  return Status::Ok();
}

void MessageService::Stop() {
  if (committer_) committer_->Stop();
}

Result<NewMessage> MessageService::Prepare(const nlohmann::json& req,
                                           const std::optional<std::string>& key) {
  if (Status s = RejectUnknownFields(req, {"event_type", "payload", "source_id"}); !s.ok())
    return s;
  auto type = hookd::OptionalString(req, "event_type");
  if (!type.ok()) return type.status();
  if (!*type || !ValidEventType(**type))
    return Status::InvalidField("event_type is required: 1-200 chars of [A-Za-z0-9._:-]");
  if (!req.contains("payload")) return Status::InvalidField("payload is required");
  auto source = hookd::OptionalString(req, "source_id");
  if (!source.ok()) return source.status();
  if (*source && !LooksLikeId("src", **source))
    return Status::InvalidField("source_id is not a source id");
  if (key && (key->empty() || key->size() > 255))
    return Status::InvalidField("Idempotency-Key must be 1 to 255 characters");
  NewMessage m;
  m.id = NewId("msg", clock_, random_);
  m.event_type = **type;
  m.source_id = *source;
  m.payload = DumpJson(req.at("payload"));
  m.idempotency_key = key;
  if (key) m.request_hash = RequestHash(m);
  return m;
}

Status MessageService::CommitOne(Db& db, NewMessage& m, const std::vector<Endpoint>& endpoints,
                                 int64_t now, std::vector<Result<nlohmann::json>>& out,
                                 int& deliveries) {
  if (m.idempotency_key) {
    // An earlier message of this batch is visible here too: concurrent duplicates get the first
    // answer.
    auto prior = db.Cached(
        "SELECT id, response, created_at, request_hash FROM messages WHERE idempotency_key = ?");
    if (!prior.ok()) return prior.status();
    auto row = (*prior)->Bind(1, *m.idempotency_key).Step();
    if (!row.ok()) return row.status();
    if (*row) {
      const std::string old_id = (*prior)->Text(0);
      const std::string first = (*prior)->Text(1);
      const bool live = now - (*prior)->Int(2) < kIdempotencyWindowMs;
      // NULL for a message stored before requests were recorded: any request gets its answer.
      const std::optional<std::string> hash =
          (*prior)->IsNull(3) ? std::nullopt : std::optional<std::string>((*prior)->Text(3));
      (*prior)->Reset();
      if (live && hash && hash != m.request_hash) {
        out.push_back(Status(ErrorKind::kInvalidField, "idempotency_key_reused",
                             "this Idempotency-Key was used with another request (event_type, "
                             "payload or source_id) in the last 24 hours; use a new key"));
        return Status::Ok();
      }
      if (live) {
        auto answer = ParseJsonBounded(first);
        if (!answer.ok()) return answer.status();
        out.push_back(std::move(answer).value());
        return Status::Ok();
      }
      // Expired: the key is free again; the old message keeps its history.
      auto clear = db.Cached("UPDATE messages SET idempotency_key = NULL WHERE id = ?");
      if (!clear.ok()) return clear.status();
      if (Status s = (*clear)->Bind(1, old_id).Run(); !s.ok()) return s;
    } else {
      (*prior)->Reset();
    }
  }
  m.created_at = now;
  int matched = 0;
  for (const Endpoint& e : endpoints)
    if (!e.disabled && Matches(e.filter, m.event_type, m.source_id)) ++matched;
  nlohmann::json response = {{"id", m.id}, {"event_type", m.event_type}, {"deliveries", matched}};
  m.response = DumpJson(response);
  auto count = InsertMessage(db, m, endpoints, clock_, random_);
  if (!count.ok()) return count.status();
  deliveries += *count;
  out.push_back(std::move(response));
  return Status::Ok();
}

Result<std::vector<Result<nlohmann::json>>> MessageService::CommitMessages(
    Db& db, std::vector<NewMessage>& batch, bool sync_wal) {
  std::vector<Result<nlohmann::json>> out;
  out.reserve(batch.size());
  int deliveries = 0;
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
  // Durable before anyone is told: the requests are answered after this returns.
  if (sync_wal) {
    if (s = db.SyncWal(); !s.ok()) {
      return Status::Unavailable("the batch was committed but could not be made durable (" +
                                 s.message() + "); it may or may not be stored");
    }
  }
  if (status_committed_) status_committed_();
  if (deliveries > 0 && wake_) wake_(WakeReason::kNewDeliveries);
  return out;
}

void MessageService::Publish(const nlohmann::json& req, const std::optional<std::string>& key,
                             Done done) {
  auto m = Prepare(req, key);
  if (!m.ok()) return done(m.status());
  if (!committer_) return done(Status::Unavailable("the messages writer is not running"));
  committer_->Submit(std::move(m).value(),
                     [done = std::move(done)](Result<Result<nlohmann::json>> r) {
                       if (!r.ok()) return done(r.status());
                       done(std::move(r).value());
                     });
}

Result<nlohmann::json> MessageService::Create(const nlohmann::json& req,
                                              const std::optional<std::string>& key) {
  auto m = Prepare(req, key);
  if (!m.ok()) return m.status();
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  std::vector<NewMessage> batch{std::move(m).value()};
  auto out = CommitMessages(**db, batch, /*sync_wal=*/false);  // a FULL-sync connection
  if (!out.ok()) return out.status();
  return std::move(out->front());
}

Result<nlohmann::json> MessageService::Get(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "SELECT m.id, m.event_type, m.source_id, m.event_id, m.created_at,"
      " COALESCE(m.payload, e.body) FROM messages m LEFT JOIN events e ON e.id = m.event_id"
      " WHERE m.id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no message " + id);
  nlohmann::json j = MessageSummary(**st);
  // Payloads are checked where they enter; one stored before that (or an event body deeper than
  // the limit) is shown as its text rather than parsed.
  auto payload = ParseJsonBounded((*st)->Text(5));
  j["payload"] = payload.ok() ? std::move(payload).value() : nlohmann::json((*st)->Text(5));
  auto dl = (*db)->Cached(std::string("SELECT ") + kDeliveryColumns +
                          " FROM deliveries WHERE message_id = ? ORDER BY seq");
  if (!dl.ok()) return dl.status();
  (*dl)->Bind(1, id);
  auto deliveries = Rows(**dl, 1000, DeliveryJson);
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
  auto list = Rows(**st, limit, DeliveryJson);
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

Result<nlohmann::json> MessageService::GetDelivery(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st =
      (*db)->Cached(std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no delivery " + id);
  nlohmann::json j = DeliveryJson(**st);
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
    attempts.push_back({{"id", a.Text(0)},
                        {"number", a.Int(1)},
                        {"started_at", FormatRfc3339(a.Int(2))},
                        {"duration_ms", a.Int(3)},
                        {"response_status", OptionalInt(a, 4)},
                        {"response_body", OptionalText(a, 5)},
                        {"error", OptionalText(a, 6)}});
  }
  j["attempts"] = std::move(attempts);
  return j;
}

Result<nlohmann::json> MessageService::RetryDelivery(const std::string& id) {
  {
    auto db = pool_.Acquire();
    if (!db.ok()) return db.status();
    // A disabled endpoint's delivery would only fail at once without an attempt: refused, in
    // the same statement, so an endpoint disabled meanwhile is seen.
    auto st = (*db)->Cached(
        "UPDATE deliveries SET status = CASE status WHEN 'retrying' THEN 'retrying' ELSE"
        " 'pending' END, retry_index = 0, next_attempt_at = ?1, updated_at = ?1"
        " WHERE id = ?2 AND (lease_until IS NULL OR lease_until < ?1) AND NOT EXISTS"
        " (SELECT 1 FROM endpoints e WHERE e.id = deliveries.endpoint_id AND e.disabled != 0)");
    if (!st.ok()) return st.status();
    if (Status s = (*st)->Bind(1, clock_.NowUnixMillis()).Bind(2, id).Run(); !s.ok()) return s;
    if ((*db)->Changes() == 0) {
      auto current = GetDelivery(id);
      if (!current.ok()) return current.status();
      auto disabled = (*db)->Cached("SELECT 1 FROM endpoints WHERE id = ? AND disabled != 0");
      if (!disabled.ok()) return disabled.status();
      auto row = (*disabled)->Bind(1, (*current)["endpoint_id"].get<std::string>()).Step();
      (*disabled)->Reset();
      if (!row.ok()) return row.status();
      if (*row) return EndpointDisabled((*current)["endpoint_id"].get<std::string>());
      return Status::Conflict("attempt_in_progress", "an attempt of " + id + " is in progress");
    }
  }
  if (wake_) wake_(WakeReason::kAnything);  // an existing delivery is due again
  return GetDelivery(id);
}

}  // namespace hookd
