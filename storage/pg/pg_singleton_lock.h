// PgSingletonLock: one node at a time, across every node on one PostgreSQL, for work only one of
// them may do (the retention pass, the application reaper; docs/DECISIONS.md, "PostgreSQL:
// retention and the application reaper, one runner at a time").
//
// A session-level pg_try_advisory_lock on a fixed key, on a connection of its own (not a pool's:
// a session lock belongs to the connection, and a pooled one would carry it to other work). A
// node that does not get it skips its turn and tries again later; a node that dies, or loses its
// connection, loses the lock with its session, and the next try of another node gets it.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/status.h"
#include "storage/pg/pg_conn.h"

namespace hookd {

// The keys of hookd's singletons. The migrations' key is kPgMigrationLockKey
// (storage/pg/pg_migrations.h); each key here must differ from it and from each other.
inline constexpr int64_t kPgRetentionLockKey = 0x686f6f6b64207265;  // "hookd re"
inline constexpr int64_t kPgAppReaperLockKey = 0x686f6f6b64206170;  // "hookd ap"

class PgSingletonLock {
 public:
  PgSingletonLock(std::string url, int64_t key, PgConnectOptions options = {});
  // Releases the lock (closing the connection does it).
  ~PgSingletonLock();
  PgSingletonLock(const PgSingletonLock&) = delete;
  PgSingletonLock& operator=(const PgSingletonLock&) = delete;

  // True when this node holds the lock now: already held on a connection that still answers, or
  // taken now (connecting first when there is no connection or it was lost). False when another
  // session holds it. An error (kUnavailable) when the server cannot be reached; then the lock is
  // not held.
  Result<bool> TryAcquire();
  // Whether the lock is still held: asks the server on the lock's connection (a connection that
  // does not answer has lost it). A holder checks this between its transactions.
  bool StillHeld();
  // Gives the lock up, keeping the connection for the next TryAcquire.
  void Release();
  // Closes the connection without unlocking, as a node that dies does.
  void Drop();

  bool held() const { return held_; }
  // The server process of the lock's connection, -1 without one.
  int backend_pid() const;

 private:
  const std::string url_;
  const int64_t key_;
  const PgConnectOptions options_;
  std::unique_ptr<PgConn> conn_;
  bool held_ = false;
};

}  // namespace hookd
