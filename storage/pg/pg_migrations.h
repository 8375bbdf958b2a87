// PostgreSQL's schema migrations: migrations/postgres/NNNN_name.sql, embedded into the binary at
// build time and applied in version order, each in its own transaction, recorded in
// `schema_migrations`. Several nodes starting together on an empty database all come up: the
// runner holds a session advisory lock while it reads and applies, so one applies and the others
// wait, then find nothing left to do. Thread-safe across connections (not on one PgConn).
#pragma once

#include <cstdint>
#include <vector>

#include "common/migrations.h"
#include "common/status.h"

namespace hookd {

class PgConn;

// The advisory lock's key ("hookd mi" in ASCII), the same in every hookd.
inline constexpr int64_t kPgMigrationLockKey = 0x686f6f6b64206d69;

// The migrations compiled into this binary, ordered by version (generated file).
const std::vector<Migration>& EmbeddedPgMigrations();

// Applies every migration not yet recorded, under the advisory lock (waiting for another runner
// to finish). Fails without changing anything when the database records a version this binary
// does not know (kConflict, "database_too_new"), or when a migration fails (that migration is
// rolled back; those before it stay). The lock is released on every path.
Status ApplyPgMigrations(PgConn& conn, const std::vector<Migration>& migrations);

}  // namespace hookd
