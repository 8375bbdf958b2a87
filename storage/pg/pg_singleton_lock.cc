#include "storage/pg/pg_singleton_lock.h"

#include <utility>

#include "storage/pg/pg_migrations.h"

namespace hookd {

static_assert(kPgRetentionLockKey != kPgMigrationLockKey);
static_assert(kPgAppReaperLockKey != kPgMigrationLockKey);
static_assert(kPgAppReaperLockKey != kPgRetentionLockKey);

PgSingletonLock::PgSingletonLock(std::string url, int64_t key, PgConnectOptions options)
    : url_(std::move(url)), key_(key), options_(std::move(options)) {}

PgSingletonLock::~PgSingletonLock() { Release(); }

Result<bool> PgSingletonLock::TryAcquire() {
  if (held_) {
    if (StillHeld()) return true;
  }
  if (!conn_ || !conn_->healthy()) {
    conn_.reset();
    auto conn = PgConn::Connect(url_, options_);
    if (!conn.ok()) return conn.status();
    conn_ = std::move(conn).value();
  }
  auto r = conn_->Exec("SELECT pg_try_advisory_lock($1)", {key_});
  if (!r.ok()) {
    conn_.reset();
    return r.status();
  }
  auto got = r->Bool(0, 0);
  if (!got.ok()) return got.status();
  held_ = *got;
  return held_;
}

bool PgSingletonLock::StillHeld() {
  if (!held_) return false;
  // The lock lives as long as the session: a session that answers still has it, as only Release
  // gives it up.
  if (conn_ && conn_->healthy() && conn_->Exec("SELECT 1").ok()) return true;
  held_ = false;
  conn_.reset();
  return false;
}

void PgSingletonLock::Release() {
  if (held_ && conn_ && conn_->healthy()) {
    if (!conn_->Exec("SELECT pg_advisory_unlock($1)", {key_}).ok()) conn_.reset();
  }
  held_ = false;
}

void PgSingletonLock::Drop() {
  conn_.reset();
  held_ = false;
}

int PgSingletonLock::backend_pid() const { return conn_ ? conn_->backend_pid() : -1; }

}  // namespace hookd
