#include "deliver/endpoint_store.h"

#include "common/json_limits.h"
#include "deliver/endpoint_row.h"

namespace hookd {
namespace {

// previous_secret and previous_expires_at are kept in step with the newest of previous_secrets
// for whoever reads the table directly (migrations/0009); hookd reads previous_secrets only.
constexpr char kColumns[] =
    "id, url, description, event_types, source_ids, headers, secret, previous_secret,"
    " previous_expires_at, rate_limit_per_second, disabled, disabled_reason, failing_since,"
    " created_at, updated_at, previous_secrets, forward_headers, app_id, kind";
// Written only by the delivery engine (AttemptRecorder), so Update leaves them alone.
constexpr char kReadColumns[] =
    "id, url, description, event_types, source_ids, headers, secret, previous_secrets,"
    " previous_expires_at, rate_limit_per_second, disabled, disabled_reason, failing_since,"
    " created_at, updated_at, circuit, circuit_retry_at, forward_headers, app_id, kind";

Endpoint Read(const Stmt& st) {
  Endpoint e;
  e.id = st.Text(0);
  e.url = st.Text(1);
  e.description = st.Text(2);
  e.filter.event_types = ParseEndpointStringList(st.Text(3));
  e.filter.source_ids = ParseEndpointStringList(st.Text(4));
  e.headers = ParseEndpointHeaders(st.Text(5));
  e.secret = st.Text(6);
  e.previous_secrets = ParsePreviousSecrets(st.Text(7));
  if (!st.IsNull(9)) e.rate_limit_per_second = st.Int(9);
  e.disabled = st.Int(10) != 0;
  e.disabled_reason = st.Text(11);
  if (!st.IsNull(12)) e.failing_since = st.Int(12);
  e.created_at = st.Int(13);
  e.updated_at = st.Int(14);
  e.circuit = st.Text(15);
  if (!st.IsNull(16)) e.circuit_retry_at = st.Int(16);
  e.forward_headers = ParseEndpointStringList(st.Text(17));
  e.app_id = st.Text(18);
  e.kind = st.Text(19);
  return e;
}

void Bind(Stmt& st, const Endpoint& e) {
  st.Bind(1, e.id).Bind(2, e.url).Bind(3, e.description);
  st.Bind(4, DumpJson(e.filter.event_types));
  st.Bind(5, DumpJson(e.filter.source_ids));
  st.Bind(6, DumpEndpointHeaders(e.headers)).Bind(7, e.secret);
  if (e.previous_secrets.empty()) {
    st.BindNull(8).Bind(9, int64_t{0});
  } else {
    st.Bind(8, e.previous_secrets.front().secret).Bind(9, e.previous_secrets.front().expires_at);
  }
  if (e.rate_limit_per_second)
    st.Bind(10, *e.rate_limit_per_second);
  else
    st.BindNull(10);
  st.Bind(11, static_cast<int64_t>(e.disabled ? 1 : 0)).Bind(12, e.disabled_reason);
  if (e.failing_since)
    st.Bind(13, *e.failing_since);
  else
    st.BindNull(13);
  st.Bind(14, e.created_at)
      .Bind(15, e.updated_at)
      .Bind(16, DumpPreviousSecrets(e.previous_secrets))
      .Bind(17, DumpJson(e.forward_headers));
}

// Bind plus the application and the kind, which only an insert writes.
void BindNew(Stmt& st, const Endpoint& e) {
  Bind(st, e);
  st.Bind(18, e.app_id).Bind(19, e.kind);
}

Result<std::vector<Endpoint>> ReadAll(Stmt& st) {
  std::vector<Endpoint> out;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(Read(st));
  }
}

}  // namespace

Status EndpointStore::Insert(const Endpoint& e) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Only into a live application: one deleted meanwhile gets no endpoint.
  auto st = (*db)->Cached(std::string("INSERT INTO endpoints (") + kColumns +
                          ") SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?18, ?19"
                          " WHERE EXISTS (SELECT 1 FROM applications"
                          "  WHERE id = ?18 AND deleted_at IS NULL)");
  if (!st.ok()) return st.status();
  BindNew(**st, e);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no application " + e.app_id);
  return Status::Ok();
}

Result<Endpoint> EndpointStore::Get(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(std::string("SELECT ") + kReadColumns + " FROM endpoints WHERE id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no endpoint " + id);
  return Read(**st);
}

Result<std::vector<Endpoint>> EndpointStore::List(const std::optional<std::string>& after,
                                                  int limit,
                                                  const std::optional<std::string>& app_id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // One application's from endpoints_app (app_id, id), in id order.
  auto st = (*db)->Cached(std::string("SELECT ") + kReadColumns + " FROM endpoints WHERE " +
                          (app_id ? "app_id = ?3 AND " : "") +
                          "(?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2");
  if (!st.ok()) return st.status();
  if (after)
    (*st)->Bind(1, *after);
  else
    (*st)->BindNull(1);
  (*st)->Bind(2, static_cast<int64_t>(limit) + 1);
  if (app_id) (*st)->Bind(3, *app_id);
  return ReadAll(**st);
}

Result<std::vector<Endpoint>> EndpointStore::All() {
  auto all = AllVersioned();
  if (!all.ok()) return all.status();
  return std::move(all->endpoints);
}

Result<VersionedEndpoints> EndpointStore::AllVersioned() {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  return AllIn(**db);
}

Result<int64_t> EndpointStore::Version() {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  return VersionIn(**db);
}

Result<int64_t> EndpointStore::VersionIn(Db& db) {
  auto st = db.Cached("SELECT version FROM endpoints_version WHERE id = 1");
  if (!st.ok()) return st.status();
  auto row = (*st)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("endpoints_version has no row");
  const int64_t version = (*st)->Int(0);
  (*st)->Reset();
  return version;
}

Result<VersionedEndpoints> EndpointStore::AllIn(Db& db) {
  VersionedEndpoints out;
  auto version = VersionIn(db);
  if (!version.ok()) return version.status();
  out.version = *version;
  auto st = db.Cached(std::string("SELECT ") + kReadColumns + " FROM endpoints ORDER BY id");
  if (!st.ok()) return st.status();
  auto all = ReadAll(**st);
  if (!all.ok()) return all.status();
  out.endpoints = std::move(all).value();
  return out;
}

Status EndpointStore::UpdateIn(Db& db, const Endpoint& e) {
  auto st = db.Cached(
      "UPDATE endpoints SET url = ?2, description = ?3, event_types = ?4, source_ids = ?5,"
      " headers = ?6, secret = ?7, previous_secret = ?8, previous_expires_at = ?9,"
      " rate_limit_per_second = ?10, disabled = ?11, disabled_reason = ?12, failing_since = ?13,"
      " created_at = ?14, updated_at = ?15, previous_secrets = ?16, forward_headers = ?17"
      " WHERE id = ?1");
  if (!st.ok()) return st.status();
  Bind(**st, e);
  if (Status s = (*st)->Run(); !s.ok()) return s;
  if (db.Changes() == 0) return Status::NotFound("no endpoint " + e.id);
  return Status::Ok();
}

Status EndpointStore::Update(const Endpoint& e) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  return UpdateIn(**db, e);
}

Status EndpointStore::Delete(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached("DELETE FROM endpoints WHERE id = ?");
  if (!st.ok()) return st.status();
  if (Status s = (*st)->Bind(1, id).Run(); !s.ok()) return s;
  if ((*db)->Changes() == 0) return Status::NotFound("no endpoint " + id);
  return Status::Ok();
}

}  // namespace hookd
