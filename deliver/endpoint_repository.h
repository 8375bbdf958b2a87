// EndpointRepository: durable storage of endpoints, whichever engine holds them (EndpointStore on
// SQLite, PgEndpointStore on PostgreSQL), with the same answers and error kinds on both.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "deliver/endpoint.h"

namespace hookd {

// Every endpoint with the endpoints version (migrations/0007) they are at or after.
struct VersionedEndpoints {
  int64_t version = 0;
  std::vector<Endpoint> endpoints;
};

class EndpointRepository {
 public:
  virtual ~EndpointRepository() = default;

  // Only into a live application: 404 not_found otherwise.
  virtual Status Insert(const Endpoint& e) = 0;
  // 404 not_found when missing.
  virtual Result<Endpoint> Get(const std::string& id) = 0;
  // Newest first (ids in byte order) after the id `after`; up to limit + 1 rows.
  virtual Result<std::vector<Endpoint>> List(
      const std::optional<std::string>& after, int limit,
      const std::optional<std::string>& app_id = std::nullopt) = 0;
  // Every endpoint, enabled or not, in id order (the delivery engine's and fan-out's snapshot).
  virtual Result<std::vector<Endpoint>> All() = 0;
  // The same with the endpoints version, read first: a change committed between the two reads
  // makes the endpoints newer than the version, never older (a later check reloads them).
  virtual Result<VersionedEndpoints> AllVersioned() = 0;
  // The endpoints version alone: bumped in every transaction that adds, deletes, or changes an
  // endpoint's settings (everything but the engine's own failing_since, circuit and
  // circuit_retry_at).
  virtual Result<int64_t> Version() = 0;
  // Replaces the stored settings (not the circuit, the application or the kind); 404 when
  // missing.
  virtual Status Update(const Endpoint& e) = 0;
  // 404 when missing.
  virtual Status Delete(const std::string& id) = 0;
};

}  // namespace hookd
