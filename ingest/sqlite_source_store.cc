#include "ingest/sqlite_source_store.h"

namespace hookd {
namespace {

constexpr char kColumns[] =
    "id, name, provider, secret, previous_secret, previous_expires_at, tolerance_seconds,"
    " created_at, updated_at";

Source ReadSource(const Stmt& st) {
  Source s;
  s.id = st.Text(0);
  s.name = st.Text(1);
  s.provider = st.Text(2);
  s.secret = st.Text(3);
  if (!st.IsNull(4)) s.previous_secret = st.Text(4);
  s.previous_expires_at = st.Int(5);
  s.tolerance_seconds = st.Int(6);
  s.created_at = st.Int(7);
  s.updated_at = st.Int(8);
  return s;
}

void BindMutable(Stmt& st, const Source& s) {
  st.Bind(1, s.id).Bind(2, s.name).Bind(3, s.provider).Bind(4, s.secret);
  if (s.previous_secret)
    st.Bind(5, *s.previous_secret);
  else
    st.BindNull(5);
  st.Bind(6, s.previous_expires_at).Bind(7, s.tolerance_seconds).Bind(8, s.created_at);
  st.Bind(9, s.updated_at);
}

}  // namespace

Status SqliteSourceStore::Insert(const Source& s) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached(std::string("INSERT INTO sources (") + kColumns +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st.ok()) return st.status();
  BindMutable(**st, s);
  return (*st)->Run();
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
      " previous_expires_at = ?6, tolerance_seconds = ?7, created_at = ?8, updated_at = ?9"
      " WHERE id = ?1");
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
