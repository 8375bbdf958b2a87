// Schema migrations: migrations/NNNN_name.sql, embedded into the binary at build time and applied
// in version order at start-up, each in its own transaction, recorded in `schema_migrations`.
// Not thread-safe: run once, before the database is shared.
#pragma once

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

// Applies every migration newer than the database's recorded version. Fails without changing
// anything when the database records a version this binary does not know (a newer hookd wrote
// it), or when a migration's SQL fails (that migration is rolled back).
Status ApplyMigrations(Db& db, const std::vector<Migration>& migrations);

}  // namespace hookd
