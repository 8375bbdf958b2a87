// EndpointRepository on PostgreSQL, over a PgPool: the same behaviour as the SQLite EndpointStore
// (docs/DECISIONS.md, "PostgreSQL: the endpoints"), the same row codec (deliver/endpoint_row.h).
// Each call is one statement in its own transaction, AllVersioned two (the version first). The
// endpoints version's triggers (migrations/postgres/0002, 0003) bump it and queue
// pg_notify('hookd_endpoints', <version>) in the writing transaction, so other nodes' caches can
// be told. Thread-safe.
#pragma once

#include "deliver/endpoint_repository.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

// The channel the endpoints version's bumps are announced on; the payload is the new version.
inline constexpr char kPgEndpointsChannel[] = "hookd_endpoints";

class PgEndpointStore final : public EndpointRepository {
 public:
  explicit PgEndpointStore(PgPool& pool) : pool_(pool) {}

  // Only into a live application (404 otherwise); it holds a share lock on the application's row
  // until it commits, as PgSourceStore does.
  Status Insert(const Endpoint& e) override;
  Result<Endpoint> Get(const std::string& id) override;
  // Ids compare in byte order (COLLATE "C"), as SQLite compares text.
  Result<std::vector<Endpoint>> List(
      const std::optional<std::string>& after, int limit,
      const std::optional<std::string>& app_id = std::nullopt) override;
  Result<std::vector<Endpoint>> All() override;
  Result<VersionedEndpoints> AllVersioned() override;
  Result<int64_t> Version() override;
  Status Update(const Endpoint& e) override;
  Status Delete(const std::string& id) override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
