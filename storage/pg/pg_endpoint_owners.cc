#include "storage/pg/pg_endpoint_owners.h"

#include <algorithm>
#include <utility>

#include "storage/pg/pg_retry.h"
#include "storage/pg/pg_rows.h"

namespace hookd {
namespace {

// The upsert's rule, given the new row as EXCLUDED: taken when free, when the node's own (then
// acquired_at is kept), or when its lease has ended at EXCLUDED.acquired_at (now).
constexpr std::string_view kTakeOver =
    " ON CONFLICT (endpoint_id) DO UPDATE"
    " SET node_id = EXCLUDED.node_id, lease_until = EXCLUDED.lease_until,"
    "  acquired_at = CASE WHEN endpoint_owners.node_id = EXCLUDED.node_id"
    "   THEN endpoint_owners.acquired_at ELSE EXCLUDED.acquired_at END"
    " WHERE endpoint_owners.node_id = EXCLUDED.node_id"
    "  OR endpoint_owners.lease_until <= EXCLUDED.acquired_at"
    " RETURNING endpoint_id";

std::string Sql(std::string_view head) {
  std::string sql(head);
  sql += kTakeOver;
  return sql;
}

// kNotFound naming what of the two is missing, or Ok when both exist.
Status CheckExists(PgConn& conn, const std::string& node_id, const std::string* endpoint_id) {
  auto r = conn.Exec(
      "SELECT EXISTS (SELECT 1 FROM nodes WHERE id = $1),"
      " $2::text IS NULL OR EXISTS (SELECT 1 FROM endpoints WHERE id = $2)",
      {node_id, endpoint_id ? PgParam(*endpoint_id) : PgParam(nullptr)});
  if (!r.ok()) return r.status();
  auto node = r->Bool(0, 0);
  auto endpoint = r->Bool(0, 1);
  if (!node.ok()) return node.status();
  if (!endpoint.ok()) return endpoint.status();
  if (!*node) return PgNotFound("no node ", node_id);
  if (!*endpoint) return PgNotFound("no endpoint ", *endpoint_id);
  return Status::Ok();
}

}  // namespace

Result<bool> PgEndpointOwners::Acquire(const std::string& node_id, const std::string& endpoint_id) {
  const int64_t now = clock_.NowUnixMillis();
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  // The node and the endpoint are read in the statement, so a missing one inserts nothing
  // (instead of failing on the foreign key); the owners' row lock decides between two nodes.
  auto r = (*conn)->Exec(
      Sql("INSERT INTO endpoint_owners (endpoint_id, node_id, lease_until, acquired_at)"
          " SELECT e.id, n.id, $3::bigint, $4::bigint FROM endpoints e, nodes n"
          " WHERE e.id = $1 AND n.id = $2"),
      {endpoint_id, node_id, now + lease_.count(), now});
  if (!r.ok()) return r.status();
  if (r->rows() == 1) return true;
  if (Status s = CheckExists(**conn, node_id, &endpoint_id); !s.ok()) return s;
  return false;
}

Result<std::vector<std::string>> PgEndpointOwners::AcquireDue(const std::string& node_id,
                                                              int limit) {
  if (limit <= 0) return Status::InvalidField("the number of endpoints to take must be positive");
  const int64_t now = clock_.NowUnixMillis();
  auto taken = RetryPgTransaction([&]() -> Result<std::vector<std::string>> {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    // Candidates: endpoints with a delivery due (deliveries_due) and no live owner. Inserted in
    // id order, so two nodes taking overlapping sets lock the rows in one order; a row another
    // node took meanwhile is checked again by the upsert's WHERE and not returned.
    auto r = (*conn)->Exec(
        Sql("INSERT INTO endpoint_owners (endpoint_id, node_id, lease_until, acquired_at)"
            " SELECT e.id, n.id, $3::bigint, $4::bigint FROM nodes n,"
            " LATERAL (SELECT e.id FROM endpoints e WHERE"
            "  EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id"
            "   AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $4::bigint)"
            "  AND NOT EXISTS (SELECT 1 FROM endpoint_owners o WHERE o.endpoint_id = e.id"
            "   AND o.lease_until > $4::bigint)"
            "  ORDER BY e.id COLLATE \"C\" LIMIT $2) e"
            " WHERE n.id = $1 ORDER BY e.id COLLATE \"C\""),
        {node_id, static_cast<int64_t>(limit), now + lease_.count(), now});
    if (!r.ok()) return r.status();
    std::vector<std::string> out;
    out.reserve(r->rows());
    for (int row = 0; row < r->rows(); ++row) out.emplace_back(r->Text(row, 0));
    if (out.empty()) {
      if (Status s = CheckExists(**conn, node_id, nullptr); !s.ok()) return s;
    }
    return out;
  });
  if (!taken.ok()) return taken.status();
  std::sort(taken->begin(), taken->end());
  return taken;
}

Result<bool> PgEndpointOwners::Renew(const std::string& node_id, const std::string& endpoint_id) {
  const int64_t now = clock_.NowUnixMillis();
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE endpoint_owners SET lease_until = GREATEST(lease_until, $3::bigint)"
      " WHERE endpoint_id = $1 AND node_id = $2",
      {endpoint_id, node_id, now + lease_.count()});
  if (!r.ok()) return r.status();
  return r->Affected() == 1;
}

Result<bool> PgEndpointOwners::Release(const std::string& node_id, const std::string& endpoint_id) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM endpoint_owners WHERE endpoint_id = $1 AND node_id = $2",
                         {endpoint_id, node_id});
  if (!r.ok()) return r.status();
  return r->Affected() == 1;
}

Result<std::vector<PgOwnedEndpoint>> PgEndpointOwners::Owned(const std::string& node_id) {
  const int64_t now = clock_.NowUnixMillis();
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT endpoint_id, lease_until, acquired_at FROM endpoint_owners"
      " WHERE node_id = $1 AND lease_until > $2::bigint ORDER BY endpoint_id COLLATE \"C\"",
      {node_id, now});
  if (!r.ok()) return r.status();
  std::vector<PgOwnedEndpoint> out;
  out.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    PgOwnedEndpoint o;
    o.endpoint_id = r->Text(row, 0);
    auto lease = r->Int(row, 1);
    if (!lease.ok()) return lease.status();
    auto acquired = r->Int(row, 2);
    if (!acquired.ok()) return acquired.status();
    o.lease_until = *lease;
    o.acquired_at = *acquired;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace hookd
