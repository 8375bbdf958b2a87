#include "storage/pg/pg_endpoint_store.h"

#include <string_view>
#include <utility>

#include "common/json_limits.h"
#include "deliver/endpoint_row.h"
#include "storage/pg/pg_rows.h"

namespace hookd {
namespace {

// As SQLite's store reads them: circuit and circuit_retry_at are the delivery engine's own
// (AttemptRecorder), so Update leaves them alone; previous_secret and previous_expires_at are
// kept in step with the newest of previous_secrets for whoever reads the table directly.
constexpr std::string_view kSelect =
    "SELECT id, url, description, event_types, source_ids, headers, secret, previous_secrets,"
    " previous_expires_at, rate_limit_per_second, disabled, disabled_reason, failing_since,"
    " created_at, updated_at, circuit, circuit_retry_at, forward_headers, app_id, kind"
    " FROM endpoints";

std::string SelectSql(std::string_view rest) {
  std::string sql(kSelect);
  sql += rest;
  return sql;
}

Result<Endpoint> ReadEndpoint(const PgResult& r, int row) {
  Endpoint e;
  e.id = r.Text(row, 0);
  e.url = r.Text(row, 1);
  e.description = r.Text(row, 2);
  e.filter.event_types = ParseEndpointStringList(r.Text(row, 3));
  e.filter.source_ids = ParseEndpointStringList(r.Text(row, 4));
  e.headers = ParseEndpointHeaders(r.Text(row, 5));
  e.secret = r.Text(row, 6);
  e.previous_secrets = ParsePreviousSecrets(r.Text(row, 7));
  if (Status s = ReadOptionalInt(r, row, 9, e.rate_limit_per_second); !s.ok()) return s;
  auto disabled = r.Int(row, 10);
  if (!disabled.ok()) return disabled.status();
  e.disabled = *disabled != 0;
  e.disabled_reason = r.Text(row, 11);
  if (Status s = ReadOptionalInt(r, row, 12, e.failing_since); !s.ok()) return s;
  auto created_at = r.Int(row, 13);
  if (!created_at.ok()) return created_at.status();
  e.created_at = *created_at;
  auto updated_at = r.Int(row, 14);
  if (!updated_at.ok()) return updated_at.status();
  e.updated_at = *updated_at;
  e.circuit = r.Text(row, 15);
  if (Status s = ReadOptionalInt(r, row, 16, e.circuit_retry_at); !s.ok()) return s;
  e.forward_headers = ParseEndpointStringList(r.Text(row, 17));
  e.app_id = r.Text(row, 18);
  e.kind = r.Text(row, 19);
  return e;
}

Result<std::vector<Endpoint>> ReadEndpoints(const PgResult& r) {
  std::vector<Endpoint> out;
  out.reserve(r.rows());
  for (int row = 0; row < r.rows(); ++row) {
    auto e = ReadEndpoint(r, row);
    if (!e.ok()) return e.status();
    out.push_back(std::move(e).value());
  }
  return out;
}

PgParam NewestPreviousSecret(const Endpoint& e) {
  if (e.previous_secrets.empty()) return PgParam(nullptr);
  return PgParam(e.previous_secrets.front().secret);
}

int64_t NewestPreviousExpiry(const Endpoint& e) {
  return e.previous_secrets.empty() ? 0 : e.previous_secrets.front().expires_at;
}

int64_t Flag(bool b) { return b ? 1 : 0; }

}  // namespace

Status PgEndpointStore::Insert(const Endpoint& e) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // Under the FOR SHARE lock on the live application (storage/pg/pg_rows.h).
  auto r = (*conn)->Exec(
      WithLiveApplication("$18") +
          " INSERT INTO endpoints (id, url, description, event_types, source_ids, headers, secret,"
          " previous_secret, previous_expires_at, rate_limit_per_second, disabled, disabled_reason,"
          " failing_since, created_at, updated_at, previous_secrets, forward_headers, app_id, kind)"
          " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10::bigint, $11::bigint, $12,"
          " $13::bigint, $14::bigint, $15::bigint, $16, $17, app.id, $19 FROM app",
      {e.id, e.url, e.description, DumpJson(e.filter.event_types), DumpJson(e.filter.source_ids),
       DumpEndpointHeaders(e.headers), e.secret, NewestPreviousSecret(e), NewestPreviousExpiry(e),
       OptionalParam(e.rate_limit_per_second), Flag(e.disabled), e.disabled_reason,
       OptionalParam(e.failing_since), e.created_at, e.updated_at,
       DumpPreviousSecrets(e.previous_secrets), DumpJson(e.forward_headers), e.app_id, e.kind});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return PgNotFound("no application ", e.app_id);
  return Status::Ok();
}

Result<Endpoint> PgEndpointStore::Get(const std::string& id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(SelectSql(" WHERE id = $1"), {id});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return PgNotFound("no endpoint ", id);
  return ReadEndpoint(*r, 0);
}

Result<std::vector<Endpoint>> PgEndpointStore::List(const std::optional<std::string>& after,
                                                    int limit,
                                                    const std::optional<std::string>& app_id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // One application's from endpoints_app (app_id, id).
  auto r =
      (*conn)->Exec(SelectSql(" WHERE ($3::text IS NULL OR app_id = $3)"
                              " AND ($1::text IS NULL OR id < $1 COLLATE \"C\")"
                              " ORDER BY id COLLATE \"C\" DESC LIMIT $2"),
                    {after ? PgParam(*after) : PgParam(nullptr), static_cast<int64_t>(limit) + 1,
                     app_id ? PgParam(*app_id) : PgParam(nullptr)});
  if (!r.ok()) return r.status();
  return ReadEndpoints(*r);
}

Result<std::vector<Endpoint>> PgEndpointStore::All() {
  auto all = AllVersioned();
  if (!all.ok()) return all.status();
  return std::move(all->endpoints);
}

Result<VersionedEndpoints> PgEndpointStore::AllVersioned() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // Two statements, each with its own snapshot, the version first: a change committed between
  // them makes the endpoints newer than the version, never older.
  auto version = (*conn)->Exec("SELECT version FROM endpoints_version WHERE id = 1");
  if (!version.ok()) return version.status();
  if (version->rows() == 0) return Status::Internal("endpoints_version has no row");
  VersionedEndpoints out;
  auto v = version->Int(0, 0);
  if (!v.ok()) return v.status();
  out.version = *v;
  auto r = (*conn)->Exec(SelectSql(" ORDER BY id COLLATE \"C\""));
  if (!r.ok()) return r.status();
  auto all = ReadEndpoints(*r);
  if (!all.ok()) return all.status();
  out.endpoints = std::move(all).value();
  return out;
}

Result<int64_t> PgEndpointStore::Version() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT version FROM endpoints_version WHERE id = 1");
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::Internal("endpoints_version has no row");
  return r->Int(0, 0);
}

Status PgEndpointStore::Update(const Endpoint& e) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE endpoints SET url = $2, description = $3, event_types = $4, source_ids = $5,"
      " headers = $6, secret = $7, previous_secret = $8, previous_expires_at = $9,"
      " rate_limit_per_second = $10, disabled = $11, disabled_reason = $12, failing_since = $13,"
      " created_at = $14, updated_at = $15, previous_secrets = $16, forward_headers = $17"
      " WHERE id = $1",
      {e.id, e.url, e.description, DumpJson(e.filter.event_types), DumpJson(e.filter.source_ids),
       DumpEndpointHeaders(e.headers), e.secret, NewestPreviousSecret(e), NewestPreviousExpiry(e),
       OptionalParam(e.rate_limit_per_second), Flag(e.disabled), e.disabled_reason,
       OptionalParam(e.failing_since), e.created_at, e.updated_at,
       DumpPreviousSecrets(e.previous_secrets), DumpJson(e.forward_headers)});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return PgNotFound("no endpoint ", e.id);
  return Status::Ok();
}

Status PgEndpointStore::Delete(const std::string& id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM endpoints WHERE id = $1", {id});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return PgNotFound("no endpoint ", id);
  return Status::Ok();
}

}  // namespace hookd
