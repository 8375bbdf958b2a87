#include "storage/pg/pg_node_registry.h"

#include <algorithm>
#include <utility>

#include "storage/pg/pg_retry.h"
#include "storage/pg/pg_rows.h"

namespace hookd {

Status PgNodeRegistry::Register() {
  if (node_.id.empty()) return Status::InvalidField("a node needs an id");
  const int64_t now = clock_.NowUnixMillis();
  return RetryPgTransaction([&]() -> Status {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    auto txn = PgTransaction::Begin(**conn);
    if (!txn.ok()) return txn.status();
    // A restart under the same id: whatever the former process owned is dispatched by nobody.
    auto freed = (*conn)->Exec("DELETE FROM endpoint_owners WHERE node_id = $1", {node_.id});
    if (!freed.ok()) return freed.status();
    auto r = (*conn)->Exec(
        "INSERT INTO nodes (id, host, roles, version, started_at, heartbeat_at)"
        " VALUES ($1, $2, $3, $4, $5::bigint, $5::bigint) ON CONFLICT (id) DO UPDATE"
        " SET host = EXCLUDED.host, roles = EXCLUDED.roles, version = EXCLUDED.version,"
        "  started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at",
        {node_.id, node_.host, node_.roles, node_.version, now});
    if (!r.ok()) return r.status();
    return (*txn)->Commit();
  });
}

Result<int64_t> PgNodeRegistry::Heartbeat() {
  const int64_t now = clock_.NowUnixMillis();
  const int64_t lease_end = now + endpoint_lease_.count();
  return RetryPgTransaction([&]() -> Result<int64_t> {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    auto txn = PgTransaction::Begin(**conn);
    if (!txn.ok()) return txn.status();
    // The node's row first: a reaper deleting it concurrently either waits for this or is seen
    // (no row), and then the owners' rows are gone with it.
    auto node = (*conn)->Exec(
        "UPDATE nodes SET heartbeat_at = GREATEST(heartbeat_at, $2::bigint) WHERE id = $1",
        {node_.id, now});
    if (!node.ok()) return node.status();
    if (node->Affected() == 0) return PgNotFound("no node ", node_.id);
    auto owned = (*conn)->Exec(
        "UPDATE endpoint_owners SET lease_until = GREATEST(lease_until, $2::bigint)"
        " WHERE node_id = $1",
        {node_.id, lease_end});
    if (!owned.ok()) return owned.status();
    const int64_t renewed = owned->Affected();
    if (Status s = (*txn)->Commit(); !s.ok()) return s;
    return renewed;
  });
}

Result<std::vector<std::string>> PgNodeRegistry::ReapStale(std::chrono::milliseconds max_age) {
  if (max_age.count() <= 0) return Status::InvalidField("a node's maximum age must be positive");
  const int64_t before = clock_.NowUnixMillis() - max_age.count();
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // One statement: a node whose heartbeat commits first is no longer stale when the row is
  // checked again (READ COMMITTED re-reads a row it waited for).
  auto r =
      (*conn)->Exec("DELETE FROM nodes WHERE heartbeat_at < $1::bigint AND id <> $2 RETURNING id",
                    {before, node_.id});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) out.emplace_back(r->Text(row, 0));
  std::sort(out.begin(), out.end());
  return out;
}

Status PgNodeRegistry::Deregister() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM nodes WHERE id = $1", {node_.id});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace hookd
