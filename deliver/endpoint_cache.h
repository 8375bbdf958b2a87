// EndpointCache: an immutable snapshot of every endpoint, for fan-out (on the ingest commit
// thread and the messages writer) and for the delivery engine. Get() looks again when the
// snapshot is older than the TTL or after Invalidate() (called by this process's endpoint API,
// and on PostgreSQL by a PgWakeListener on "hookd_endpoints" when another node changes one),
// and reloads it only when the endpoints version moved, so another process's changes show within
// the TTL. Fan-out uses GetIn() inside its write transaction instead: the
// snapshot is reloaded there when the endpoints version it was loaded at is not the one the
// transaction sees, so an endpoint disabled, deleted or resubscribed by a commit before it (the
// engine's 410, another process) never gets a delivery from a snapshot made before that commit.
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/db.h"
#include "deliver/endpoint.h"
#include "deliver/endpoint_store.h"

namespace hookd {

// Every endpoint, in the store's order, with an index by id. It is the vector (fan-out walks it)
// and adds the lookup the delivery engine makes for every due endpoint on every claim (a scan of
// 10,000 endpoints there was most of the dispatcher's time). Immutable once built.
class EndpointSnapshot : public std::vector<Endpoint> {
 public:
  explicit EndpointSnapshot(std::vector<Endpoint> endpoints);
  // The endpoint with `id`, or nullptr.
  const Endpoint* Find(const std::string& id) const;
  // The positions of the application's endpoints, in order: fan-out looks at these only, so a
  // message costs what its application has, not what the deployment has.
  const std::vector<size_t>& OfApp(const std::string& app_id) const;

 private:
  std::unordered_map<std::string, size_t> index_;                // id -> position
  std::unordered_map<std::string, std::vector<size_t>> by_app_;  // app id -> positions
};

class EndpointCache {
 public:
  using Snapshot = std::shared_ptr<const EndpointSnapshot>;

  // `store` is either engine's; GetIn is SQLite's (its transaction is a Db's).
  EndpointCache(EndpointRepository& store, const Clock& clock,
                std::chrono::milliseconds ttl = std::chrono::seconds(1))
      : store_(store), clock_(clock), ttl_(ttl) {}

  // The current endpoints. On a store error the previous snapshot is kept and returned, and
  // the error is returned when there is none yet.
  Result<Snapshot> Get();
  // The endpoints as `db`'s open transaction sees them, for fan-out in that transaction: one
  // SELECT of the endpoints version, and a reload on `db` only when the cached snapshot was
  // loaded at another version. A store error is returned (never a snapshot that may be stale).
  Result<Snapshot> GetIn(Db& db);
  void Invalidate();

  // The endpoint with `id` in `snapshot`, or nullptr.
  static const Endpoint* Find(const Snapshot& snapshot, const std::string& id);

 private:
  EndpointRepository& store_;
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  // Installs `loaded` unless the snapshot held is at a newer version; returns it.
  Snapshot Install(VersionedEndpoints loaded, int64_t now);

  std::mutex mu_;
  Snapshot snapshot_;         // guarded by mu_
  int64_t version_ = -1;      // guarded by mu_; the endpoints version snapshot_ was loaded at
  int64_t loaded_at_ms_ = 0;  // guarded by mu_
  bool stale_ = true;         // guarded by mu_
};

}  // namespace hookd
