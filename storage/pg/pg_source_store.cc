#include "storage/pg/pg_source_store.h"

#include <string_view>

#include "storage/pg/pg_rows.h"

namespace hookd {
namespace {

// As on SQLite, previous_secret and previous_expires_at are kept in step with the newest of
// previous_secrets for whoever reads the table directly; hookd reads previous_secrets only.
constexpr std::string_view kSelect =
    "SELECT id, name, provider, secret, tolerance_seconds, created_at, updated_at,"
    " previous_secrets, app_id FROM sources";

Result<Source> ReadSource(const PgResult& r, int row) {
  auto tolerance = r.Int(row, 4);
  if (!tolerance.ok()) return tolerance.status();
  auto created_at = r.Int(row, 5);
  if (!created_at.ok()) return created_at.status();
  auto updated_at = r.Int(row, 6);
  if (!updated_at.ok()) return updated_at.status();
  Source s;
  s.id = r.Text(row, 0);
  s.name = r.Text(row, 1);
  s.provider = r.Text(row, 2);
  s.secret = r.Text(row, 3);
  s.tolerance_seconds = *tolerance;
  s.created_at = *created_at;
  s.updated_at = *updated_at;
  s.previous_secrets = ParsePreviousSecrets(r.Text(row, 7));
  s.app_id = r.Text(row, 8);
  return s;
}

PgParam NewestPreviousSecret(const Source& s) {
  if (s.previous_secrets.empty()) return PgParam(nullptr);
  return PgParam(s.previous_secrets.front().secret);
}

int64_t NewestPreviousExpiry(const Source& s) {
  return s.previous_secrets.empty() ? 0 : s.previous_secrets.front().expires_at;
}

std::string SelectSql(std::string_view where) {
  std::string sql(kSelect);
  sql += where;
  return sql;
}

}  // namespace

Status PgSourceStore::Insert(const Source& s) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // Under the FOR SHARE lock on the live application (storage/pg/pg_rows.h).
  auto r = (*conn)->Exec(
      WithLiveApplication("$11") +
          " INSERT INTO sources (id, name, provider, secret, previous_secret, previous_expires_at,"
          " tolerance_seconds, created_at, updated_at, previous_secrets, app_id)"
          " SELECT $1, $2, $3, $4, $5, $6::bigint, $7::bigint, $8::bigint, $9::bigint, $10, app.id"
          " FROM app",
      {s.id, s.name, s.provider, s.secret, NewestPreviousSecret(s), NewestPreviousExpiry(s),
       s.tolerance_seconds, s.created_at, s.updated_at, DumpPreviousSecrets(s.previous_secrets),
       s.app_id});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return Status::InvalidField("app_id: no application " + s.app_id);
  return Status::Ok();
}

Result<Source> PgSourceStore::Get(const std::string& id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(SelectSql(" WHERE id = $1"), {id});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return Status::NotFound("no source " + id);
  return ReadSource(*r, 0);
}

Result<std::vector<Source>> PgSourceStore::List(const std::optional<std::string>& after,
                                                int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // Ids are time-ordered, so id order is creation order.
  auto r =
      (*conn)->Exec(SelectSql(" WHERE ($1::text IS NULL OR id < $1 COLLATE \"C\")"
                              " ORDER BY id COLLATE \"C\" DESC LIMIT $2"),
                    {after ? PgParam(*after) : PgParam(nullptr), static_cast<int64_t>(limit) + 1});
  if (!r.ok()) return r.status();
  std::vector<Source> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    auto s = ReadSource(*r, row);
    if (!s.ok()) return s.status();
    out.push_back(std::move(s).value());
  }
  return out;
}

Status PgSourceStore::Update(const Source& s) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE sources SET name = $2, provider = $3, secret = $4, previous_secret = $5,"
      " previous_expires_at = $6, tolerance_seconds = $7, created_at = $8, updated_at = $9,"
      " previous_secrets = $10 WHERE id = $1",
      {s.id, s.name, s.provider, s.secret, NewestPreviousSecret(s), NewestPreviousExpiry(s),
       s.tolerance_seconds, s.created_at, s.updated_at, DumpPreviousSecrets(s.previous_secrets)});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return Status::NotFound("no source " + s.id);
  return Status::Ok();
}

Status PgSourceStore::Delete(const std::string& id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM sources WHERE id = $1", {id});
  if (!r.ok()) return r.status();
  if (r->Affected() == 0) return Status::NotFound("no source " + id);
  return Status::Ok();
}

}  // namespace hookd
