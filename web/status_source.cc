#include "web/status_source.h"

namespace hookd {

Result<std::vector<StatusEntry>> SqliteStatusSource::ReadAfter(int64_t after, int limit) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto out = ReadStatusAfter(**db, after, limit, /*parse_data=*/false);
  // A cached statement left mid-step would hold a read snapshot and stall WAL checkpoints.
  (*db)->ResetCached();
  return out;
}

Result<int64_t> SqliteStatusSource::LastSeq() {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto st = (*db)->Cached("SELECT COALESCE(MAX(seq), 0) FROM status_log");
  if (!st.ok()) return st.status();
  auto row = (*st)->Step();
  if (!row.ok()) return row.status();
  const int64_t seq = *row ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return seq;
}

}  // namespace hookd
