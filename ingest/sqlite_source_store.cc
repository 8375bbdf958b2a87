#include "ingest/sqlite_source_store.h"

namespace hookd {
namespace {

// previous_secret and previous_expires_at are kept in step with the newest of previous_secrets
// for whoever reads the table directly (migrations/0009); hookd reads previous_secrets only.
constexpr char kColumns[] =
    "id, name, provider, secret, previous_secret, previous_expires_at, tolerance_seconds,"
    " created_at, updated_at, previous_secrets, app_id";

Source ReadSource(const Stmt& st) {
  Source s;
  s.id = st.Text(0);
  s.name = st.Text(1);
  s.provider = st.Text(2);
  s.secret = st.Text(3);
  s.tolerance_seconds = st.Int(6);
  s.created_at = st.Int(7);
  s.updated_at = st.Int(8);
  s.previous_secrets = ParsePreviousSecrets(st.Text(9));
  s.app_id = st.Text(10);
  return s;
}

void BindMutable(Stmt& st, const Source& s) {
  st.Bind(1, s.id).Bind(2, s.name).Bind(3, s.provider).Bind(4, s.secret);
  if (s.previous_secrets.empty()) {
    st.BindNull(5).Bind(6, int64_t{0});
  } else {
    st.Bind(5, s.previous_secrets.front().secret).Bind(6, s.previous_secrets.front().expires_at);
  }
  st.Bind(7, s.tolerance_seconds).Bind(8, s.created_at);
  st.Bind(9, s.updated_at).Bind(10, DumpPreviousSecrets(s.previous_secrets));
}

}  // namespace

Status SqliteSourceStore::Insert(const Source& s) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Only into a live application; the application is never changed afterwards.
  auto st = (*db)->Cached(std::string("INSERT INTO sources (") + kColumns +
                          ") SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?11 WHERE EXISTS"
                          " (SELECT 1 FROM applications WHERE id = ?11 AND deleted_at IS NULL)");
  if (!st.ok()) return st.status();
  BindMutable(**st, s);
  (*st)->Bind(11, s.app_id);
  if (Status r = (*st)->Run(); !r.ok()) return r;
  if ((*db)->Changes() == 0) return Status::InvalidField("app_id: no application " + s.app_id);
  return Status::Ok();
}

Result<Source> SqliteSourceStore::Get(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(std::string("SELECT ") + kColumns + " FROM sources WHERE id = ?");
  if (!st.ok()) return st.status();
  auto row = (*st)->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no source " + id);
  return ReadSource(**st);
}

Result<std::vector<Source>> SqliteSourceStore::List(const std::optional<std::string>& after,
                                                    int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Ids are time-ordered, so id order is creation order.
  auto st = (*db)->Cached(std::string("SELECT ") + kColumns +
                          " FROM sources WHERE (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2");
  if (!st.ok()) return st.status();
  if (after)
    (*st)->Bind(1, *after);
  else
    (*st)->BindNull(1);
  (*st)->Bind(2, static_cast<int64_t>(limit) + 1);
  std::vector<Source> out;
  while (true) {
    auto row = (*st)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadSource(**st));
  }
  return out;
}

Status SqliteSourceStore::Update(const Source& s) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(
      "UPDATE sources SET name = ?2, provider = ?3, secret = ?4, previous_secret = ?5,"
      " previous_expires_at = ?6, tolerance_seconds = ?7, created_at = ?8, updated_at = ?9,"
      " previous_secrets = ?10 WHERE id = ?1");
  if (!st.ok()) return st.status();
  BindMutable(**st, s);
  Status r = (*st)->Run();
  if (!r.ok()) return r;
  if ((*db)->Changes() == 0) return Status::NotFound("no source " + s.id);
  return Status::Ok();
}

Status SqliteSourceStore::Delete(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached("DELETE FROM sources WHERE id = ?");
  if (!st.ok()) return st.status();
  Status r = (*st)->Bind(1, id).Run();
  if (!r.ok()) return r;
  if ((*db)->Changes() == 0) return Status::NotFound("no source " + id);
  return Status::Ok();
}

}  // namespace hookd
