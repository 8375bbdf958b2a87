#include "storage/pg/pg_status_source.h"

#include <string>

namespace hookd {

Result<std::vector<StatusEntry>> PgStatusSource::ReadAfter(int64_t after, int limit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT seq, type, at, data FROM status_log WHERE seq > $1 ORDER BY seq LIMIT $2",
      {after, limit});
  if (!r.ok()) return r.status();
  std::vector<StatusEntry> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    auto seq = r->Int(i, 0);
    if (!seq.ok()) return seq.status();
    auto at = r->Int(i, 2);
    if (!at.ok()) return at.status();
    out.push_back(
        StatusEntry{*seq, std::string(r->Text(i, 1)), *at, nullptr, std::string(r->Text(i, 3))});
  }
  return out;
}

Result<int64_t> PgStatusSource::LastSeq() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT seq FROM status_log_head WHERE id = 1");
  if (!r.ok()) return r.status();
  if (r->rows() != 1) return Status::Internal("status_log_head has no row (not migrated?)");
  return r->Int(0, 0);
}

}  // namespace hookd
