// Schema migrations: migrations/NNNN_name.sql, embedded into the binary at build time and applied
// in version order at start-up, each in its own transaction, recorded in `schema_migrations`.
// Not thread-safe: run once, before the database is shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace hookd {

class Db;

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations compiled into this binary, ordered by version (generated file).
const std::vector<Migration>& EmbeddedMigrations();

// 409 database_too_new, saying what to do, when the database's schema version `current` is newer
// than every one of `migrations` (a newer hookd wrote it); OK otherwise. Either engine's runner
// checks with it before applying anything.
Status CheckSchemaNotNewer(int64_t current, const std::vector<Migration>& migrations);

// Applies every migration newer than the database's recorded version. Fails without changing
// anything when the database records a version this binary does not know (a newer hookd wrote
// it), or when a migration's SQL fails (that migration is rolled back).
Status ApplyMigrations(Db& db, const std::vector<Migration>& migrations);

}  // namespace hookd
