#include "apps/application_store.h"

#include "apps/application_row.h"
#include "common/ids.h"

namespace hookd {
namespace {

constexpr char kColumns[] = "id, uid, name, metadata, created_at, updated_at";

Application Read(const Stmt& st) {
  Application a;
  a.id = st.Text(0);
  if (!st.IsNull(1)) a.uid = st.Text(1);
  a.name = st.Text(2);
  a.metadata = ParseApplicationMetadata(st.Text(3));
  a.created_at = st.Int(4);
  a.updated_at = st.Int(5);
  return a;
}

// Whether a failed write broke the unique uid index.
bool IsUidConflict(const Status& s) {
  return s.message().find("UNIQUE constraint failed: applications.uid") != std::string::npos;
}

void BindUid(Stmt& st, int i, const std::optional<std::string>& uid) {
  if (uid)
    st.Bind(i, *uid);
  else
    st.BindNull(i);
}

Status Write(Db& db, const Application& a, bool insert) {
  auto st = db.Cached(insert ? "INSERT INTO applications (id, uid, name, metadata, created_at,"
                               " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                             : "UPDATE applications SET uid = ?2, name = ?3, metadata = ?4,"
                               " updated_at = ?6 WHERE id = ?1 AND deleted_at IS NULL");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, a.id);
  BindUid(**st, 2, a.uid);
  (*st)->Bind(3, a.name).Bind(4, DumpApplicationMetadata(a.metadata));
  (*st)->Bind(5, a.created_at).Bind(6, a.updated_at);
  Status s = (*st)->Run();
  if (!s.ok() && IsUidConflict(s)) return ApplicationUidInUse(a.uid.value_or(""));
  return s;
}

}  // namespace

Result<Application> ApplicationStore::GetIn(Db& db, const std::string& app) {
  // An id starts with app_ and a uid never does (ParseApplicationChange), so one lookup.
  const bool by_id = IsApplicationId(app);
  auto st = db.Cached(std::string("SELECT ") + kColumns + " FROM applications WHERE " +
                      (by_id ? "id" : "uid") + " = ? AND deleted_at IS NULL");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, app).Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    (*st)->Reset();
    return Status::NotFound("no application " + app);
  }
  Application a = Read(**st);
  (*st)->Reset();
  return a;
}

Result<Application> ApplicationStore::Get(const std::string& app) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  return GetIn(**db, app);
}

Result<std::string> ApplicationStore::Resolve(const std::string& app) {
  // Every scoped request comes here: the id alone, from the index, no row to decode.
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(IsApplicationId(app)
                              ? "SELECT id FROM applications WHERE id = ? AND deleted_at IS NULL"
                              : "SELECT id FROM applications WHERE uid = ? AND deleted_at IS NULL");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, app).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no application " + app);
  std::string id = (*st)->Text(0);
  (*st)->Reset();
  return id;
}

Result<Application> ApplicationStore::Create(const ApplicationChange& change) {
  if (!change.name) return Status::InvalidField("name is required");
  Application a;
  a.id = NewId("app", clock_, random_);
  a.created_at = a.updated_at = clock_.NowUnixMillis();
  ApplyApplicationChange(a, change);
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  if (Status s = Write(**db, a, true); !s.ok()) return s;
  return a;
}

Result<std::pair<Application, bool>> ApplicationStore::Upsert(const std::string& uid,
                                                              const ApplicationChange& change) {
  if (Status s = CheckApplicationUpsert(uid, change); !s.ok()) return s;
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  auto existing = GetIn(**db, uid);
  const bool create = !existing.ok();
  if (create && existing.status().kind() != ErrorKind::kNotFound) return existing.status();
  Application a;
  if (create) {
    if (!change.name) return ApplicationNameRequired();
    a.id = NewId("app", clock_, random_);
    a.created_at = clock_.NowUnixMillis();
    a.uid = uid;
  } else {
    a = std::move(existing).value();
  }
  ApplyApplicationChange(a, change);
  a.updated_at = clock_.NowUnixMillis();
  if (Status s = Write(**db, a, create); !s.ok()) return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return std::make_pair(std::move(a), create);
}

Result<Application> ApplicationStore::Update(const std::string& app,
                                             const ApplicationChange& change) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  auto a = GetIn(**db, app);
  if (!a.ok()) return a.status();
  if (Status s = CheckApplicationUpdate(*a, change); !s.ok()) return s;
  ApplyApplicationChange(*a, change);
  a->updated_at = clock_.NowUnixMillis();
  if (Status s = Write(**db, *a, false); !s.ok()) return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  return a;
}

Result<std::vector<Application>> ApplicationStore::List(const std::optional<std::string>& search,
                                                        const std::optional<std::string>& after,
                                                        int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // The search term is matched as a prefix, its LIKE wildcards escaped.
  std::optional<std::string> prefix;
  if (search) prefix = ApplicationSearchPrefix(*search);
  auto st = (*db)->Cached(
      std::string("SELECT ") + kColumns +
      " FROM applications WHERE deleted_at IS NULL"
      " AND (?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR uid LIKE ?1 ESCAPE '\\' OR id = ?2)"
      " AND (?3 IS NULL OR seq < (SELECT seq FROM applications WHERE id = ?3))"
      " ORDER BY seq DESC LIMIT ?4");
  if (!st.ok()) return st.status();
  BindUid(**st, 1, prefix);
  BindUid(**st, 2, search);
  BindUid(**st, 3, after);
  (*st)->Bind(4, static_cast<int64_t>(limit) + 1);
  std::vector<Application> out;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) {
      (*st)->Reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back(Read(**st));
  }
  (*st)->Reset();
  return out;
}

Status ApplicationStore::Delete(const std::string& app) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  auto a = GetIn(**db, app);
  if (!a.ok()) return a.status();
  if (Status s = CheckApplicationDelete(*a); !s.ok()) return s;
  const int64_t now = clock_.NowUnixMillis();
  auto mark =
      (*db)->Cached("UPDATE applications SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1");
  if (!mark.ok()) return mark.status();
  if (Status s = (*mark)->Bind(1, a->id).Bind(2, now).Run(); !s.ok()) return s;
  // Its endpoints and sources go at once: nothing more is attempted or ingested for it. The rest
  // is removed in the background (apps/app_reaper.h).
  auto endpoints = (*db)->Cached("DELETE FROM endpoints WHERE app_id = ?");
  if (!endpoints.ok()) return endpoints.status();
  if (Status s = (*endpoints)->Bind(1, a->id).Run(); !s.ok()) return s;
  auto sources = (*db)->Cached("DELETE FROM sources WHERE app_id = ? RETURNING id");
  if (!sources.ok()) return sources.status();
  (*sources)->Bind(1, a->id);
  std::vector<std::string> source_ids;
  while (true) {
    auto row = (*sources)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    source_ids.push_back((*sources)->Text(0));
  }
  (*sources)->Reset();
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  if (sources_deleted_ && !source_ids.empty()) sources_deleted_(source_ids);
  return Status::Ok();
}

}  // namespace hookd
