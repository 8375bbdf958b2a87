#include "storage/pg/pg_application_store.h"

#include <string_view>

#include "apps/application_row.h"
#include "common/ids.h"
#include "storage/pg/pg_error.h"
#include "storage/pg/pg_retry.h"
#include "storage/pg/pg_rows.h"

namespace hookd {
namespace {

constexpr std::string_view kSelect =
    "SELECT id, uid, name, metadata, created_at, updated_at FROM applications";

// The live application `app` names: by id or by uid (one lookup, by its start).
std::string SelectLive(const std::string& app, std::string_view lock) {
  std::string sql(kSelect);
  sql += IsApplicationId(app) ? " WHERE id = $1" : " WHERE uid = $1";
  sql += " AND deleted_at IS NULL";
  sql += lock;
  return sql;
}

Result<Application> ReadApplication(const PgResult& r, int row) {
  auto created_at = r.Int(row, 4);
  if (!created_at.ok()) return created_at.status();
  auto updated_at = r.Int(row, 5);
  if (!updated_at.ok()) return updated_at.status();
  Application a;
  a.id = r.Text(row, 0);
  if (!r.IsNull(row, 1)) a.uid = std::string(r.Text(row, 1));
  a.name = r.Text(row, 2);
  a.metadata = ParseApplicationMetadata(r.Text(row, 3));
  a.created_at = *created_at;
  a.updated_at = *updated_at;
  return a;
}

// Inserts `a` unless a live application has its uid: false when one has.
Result<bool> InsertUnlessUidTaken(PgConn& conn, const Application& a) {
  auto r = conn.Exec(
      "INSERT INTO applications (id, uid, name, metadata, created_at, updated_at)"
      " VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint)"
      " ON CONFLICT (uid) WHERE uid IS NOT NULL AND deleted_at IS NULL DO NOTHING",
      {a.id, OptionalText(a.uid), a.name, DumpApplicationMetadata(a.metadata), a.created_at,
       a.updated_at});
  if (!r.ok()) return r.status();
  return r->Affected() == 1;
}

// Writes `a`'s changeable columns. A uid another live application has is 409 uid_in_use (the
// unique index's answer; an UPDATE has no ON CONFLICT).
Status Rewrite(PgConn& conn, const Application& a) {
  auto r = conn.Exec(
      "UPDATE applications SET uid = $2, name = $3, metadata = $4, updated_at = $5::bigint"
      " WHERE id = $1",
      {a.id, OptionalText(a.uid), a.name, DumpApplicationMetadata(a.metadata), a.updated_at});
  if (!r.ok()) {
    if (r.status().kind() == ErrorKind::kConflict) return ApplicationUidInUse(a.uid.value_or(""));
    return r.status();
  }
  return Status::Ok();
}

// The live application `app` names, locked until the transaction ends (the lock an UPDATE of
// the row takes, which conflicts with the FOR SHARE of the inserts under it); 404 otherwise.
Result<Application> LockLive(PgConn& conn, const std::string& app) {
  auto r = conn.Exec(SelectLive(app, " FOR NO KEY UPDATE"), {app});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return PgNotFound("no application ", app);
  return ReadApplication(*r, 0);
}

}  // namespace

Result<Application> PgApplicationStore::Get(const std::string& app) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(SelectLive(app, ""), {app});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return PgNotFound("no application ", app);
  return ReadApplication(*r, 0);
}

Result<std::string> PgApplicationStore::Resolve(const std::string& app) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(IsApplicationId(app)
                             ? "SELECT id FROM applications WHERE id = $1 AND deleted_at IS NULL"
                             : "SELECT id FROM applications WHERE uid = $1 AND deleted_at IS NULL",
                         {app});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return PgNotFound("no application ", app);
  return std::string(r->Text(0, 0));
}

Result<Application> PgApplicationStore::Create(const ApplicationChange& change) {
  if (!change.name) return Status::InvalidField("name is required");
  Application a;
  a.id = NewId("app", clock_, random_);
  a.created_at = a.updated_at = clock_.NowUnixMillis();
  ApplyApplicationChange(a, change);
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto inserted = InsertUnlessUidTaken(**conn, a);
  if (!inserted.ok()) return inserted.status();
  if (!*inserted) return ApplicationUidInUse(a.uid.value_or(""));
  return a;
}

Result<std::pair<Application, bool>> PgApplicationStore::Upsert(const std::string& uid,
                                                                const ApplicationChange& change) {
  if (Status s = CheckApplicationUpsert(uid, change); !s.ok()) return s;
  return RetryPgTransaction([&] { return UpsertOnce(uid, change); });
}

Result<std::pair<Application, bool>> PgApplicationStore::UpsertOnce(
    const std::string& uid, const ApplicationChange& change) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  // Under READ COMMITTED each statement sees what committed before it: an insert that lost to
  // another node's waited for it to commit, so the next read finds the winner (unless it was
  // deleted meanwhile, and then the insert is tried again).
  for (int round = 0; round < 3; ++round) {
    auto existing = LockLive(**conn, uid);
    if (existing.ok()) {
      Application a = std::move(existing).value();
      ApplyApplicationChange(a, change);
      a.updated_at = clock_.NowUnixMillis();
      if (Status s = Rewrite(**conn, a); !s.ok()) return s;
      if (Status s = (*txn)->Commit(); !s.ok()) return s;
      return std::make_pair(std::move(a), false);
    }
    if (existing.status().kind() != ErrorKind::kNotFound) return existing.status();
    if (!change.name) return ApplicationNameRequired();
    Application a;
    a.id = NewId("app", clock_, random_);
    a.created_at = clock_.NowUnixMillis();
    a.uid = uid;
    ApplyApplicationChange(a, change);
    a.updated_at = clock_.NowUnixMillis();
    auto inserted = InsertUnlessUidTaken(**conn, a);
    if (!inserted.ok()) return inserted.status();
    if (*inserted) {
      if (Status s = (*txn)->Commit(); !s.ok()) return s;
      return std::make_pair(std::move(a), true);
    }
  }
  // The uid kept being taken and released: the whole transaction is run again.
  return PgErrorStatus("40001", "upsert", "the application's uid kept changing hands");
}

Result<Application> PgApplicationStore::Update(const std::string& app,
                                               const ApplicationChange& change) {
  return RetryPgTransaction([&] { return UpdateOnce(app, change); });
}

Result<Application> PgApplicationStore::UpdateOnce(const std::string& app,
                                                   const ApplicationChange& change) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  auto a = LockLive(**conn, app);
  if (!a.ok()) return a.status();
  if (Status s = CheckApplicationUpdate(*a, change); !s.ok()) return s;
  ApplyApplicationChange(*a, change);
  a->updated_at = clock_.NowUnixMillis();
  if (Status s = Rewrite(**conn, *a); !s.ok()) return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return a;
}

Result<std::vector<Application>> PgApplicationStore::List(const std::optional<std::string>& search,
                                                          const std::optional<std::string>& after,
                                                          int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // SQLite's LIKE folds ASCII letters only; lower() of text in the "C" collation does the same.
  // The pattern's escapes ('\', '%', '_') are no letters, so lowering it leaves them.
  std::optional<std::string> prefix;
  if (search) {
    prefix = ApplicationSearchPrefix(*search);
    for (char& c : *prefix)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  // A cursor that is no application compares with NULL and gives no rows, as on SQLite.
  auto r = (*conn)->Exec(
      std::string(kSelect) +
          " WHERE deleted_at IS NULL"
          " AND ($1::text IS NULL OR lower(name COLLATE \"C\") LIKE $1 ESCAPE '\\'"
          " OR lower(uid COLLATE \"C\") LIKE $1 ESCAPE '\\' OR id = $2)"
          " AND ($3::text IS NULL OR seq < (SELECT seq FROM applications WHERE id = $3))"
          " ORDER BY seq DESC LIMIT $4",
      {OptionalText(prefix), OptionalText(search), OptionalText(after),
       static_cast<int64_t>(limit) + 1});
  if (!r.ok()) return r.status();
  std::vector<Application> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    auto a = ReadApplication(*r, row);
    if (!a.ok()) return a.status();
    out.push_back(std::move(a).value());
  }
  return out;
}

Status PgApplicationStore::Delete(const std::string& app) {
  auto deleted = RetryPgTransaction([&] { return DeleteOnce(app); });
  if (!deleted.ok()) return deleted.status();
  if (sources_deleted_ && !deleted->empty()) sources_deleted_(*deleted);
  return Status::Ok();
}

Result<std::vector<std::string>> PgApplicationStore::DeleteOnce(const std::string& app) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTransaction::Begin(**conn);
  if (!txn.ok()) return txn.status();
  // The row lock waits for inserts under the application that hold its FOR SHARE lock; the
  // DELETEs below, each with a snapshot taken after it, then see what they inserted. An insert
  // that comes after the lock waits for this commit and then finds the application deleted.
  auto a = LockLive(**conn, app);
  if (!a.ok()) return a.status();
  if (Status s = CheckApplicationDelete(*a); !s.ok()) return s;
  const int64_t now = clock_.NowUnixMillis();
  auto mark = (*conn)->Exec(
      "UPDATE applications SET deleted_at = $2::bigint, updated_at = $2::bigint WHERE id = $1",
      {a->id, now});
  if (!mark.ok()) return mark.status();
  // Its endpoints and sources go at once: nothing more is attempted or ingested for it. The rest
  // is removed in the background (apps/app_reaper.h).
  auto endpoints = (*conn)->Exec("DELETE FROM endpoints WHERE app_id = $1", {a->id});
  if (!endpoints.ok()) return endpoints.status();
  auto sources = (*conn)->Exec("DELETE FROM sources WHERE app_id = $1 RETURNING id", {a->id});
  if (!sources.ok()) return sources.status();
  std::vector<std::string> source_ids;
  source_ids.reserve(sources->rows());
  for (int row = 0; row < sources->rows(); ++row) source_ids.emplace_back(sources->Text(row, 0));
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return source_ids;
}

}  // namespace hookd
