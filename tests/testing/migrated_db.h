// A database with hookd's schema, for tests against real SQLite.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "common/db.h"
#include "common/migrations.h"

namespace hookd::testing {

// Applies EmbeddedMigrations() on a connection of `pool`; throws when it cannot.
inline void Migrate(DbPool& pool) {
  auto db = pool.Acquire();
  if (!db.ok()) throw std::runtime_error("migrate: " + db.status().ToString());
  Status s = ApplyMigrations(**db, EmbeddedMigrations());
  if (!s.ok()) throw std::runtime_error("migrate: " + s.ToString());
}

// A pool on the SQLite file `path`, migrated.
inline std::unique_ptr<DbPool> MigratedPool(const std::string& path) {
  auto pool = std::make_unique<DbPool>(path, DbOptions{});
  Migrate(*pool);
  return pool;
}

}  // namespace hookd::testing
