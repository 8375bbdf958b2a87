// PgRetentionStore: retention on PostgreSQL, by RetentionPruner's rules (app/retention_pruner.h,
// docs/DECISIONS.md "Retention"), with one runner across the nodes of one database
// (docs/DECISIONS.md, "PostgreSQL: retention and the application reaper, one runner at a time").
//
// What goes, each table walked oldest first (seq) in transactions of at most batch_rows rows, and
// what stays, are SQLite's: messages past the data window whose deliveries are all final and
// unchanged since the window began go whole with their deliveries and attempts; a message with a
// pending or retrying delivery stays with its attempts and event; a keyed message stays its 24
// hours; the newest delivery's message and the newest status entry stay; events go once no
// message is delivered from them. What differs is the locking: other nodes write while a pass
// runs, so each candidate message is locked (FOR UPDATE, with its deliveries) and checked again
// before it is deleted, and an event is deleted only where no message refers to it in the same
// statement.
//
// A pass runs only while this node holds the retention lock (PgSingletonLock, kPgRetentionLockKey);
// a node that does not get it skips the pass, and one that loses it mid-pass stops there. Unlike
// RetentionPruner there is no pause between transactions: PostgreSQL has no single write lock
// for other writers to wait on.
//
// Thread-safety: RunOnce from one thread at a time.
#pragma once

#include <cstdint>

#include "common/retention.h"
#include "common/status.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_singleton_lock.h"

namespace hookd {

class PgRetentionStore {
 public:
  PgRetentionStore(PgPool& pool, RetentionOptions options) : pool_(pool), options_(options) {}

  // One pass at `now_ms` while holding `lock` (taken here, released at the end): report.skipped
  // when another node holds it. Database errors end the pass and are returned in the report;
  // what was committed before stays deleted. A batch_rows below 1 is kInvalidField, nothing done.
  PruneReport RunOnce(int64_t now_ms, PgSingletonLock& lock);

  // The steps, each one transaction that sets `done` once its table has nothing more to delete
  // (as RetentionPruner's), run again (kPgTransactionAttempts in all) when it lost a race to
  // another node's transaction. Public for the tests; RunOnce runs them in order.
  Status PruneMessagesStep(int64_t cutoff, int64_t idempotency_cutoff, int64_t& cursor, bool& done,
                           PruneReport& tx);
  Status PruneEventsStep(int64_t cutoff, int64_t& cursor, bool& done, PruneReport& tx);
  Status PruneStatusLogStep(int64_t cutoff, bool& done, PruneReport& tx);

 private:
  // One attempt of each step.
  Status MessagesOnce(int64_t cutoff, int64_t idempotency_cutoff, int64_t& cursor, bool& done,
                      PruneReport& tx);
  Status EventsOnce(int64_t cutoff, int64_t& cursor, bool& done, PruneReport& tx);
  Status StatusLogOnce(int64_t cutoff, bool& done, PruneReport& tx);

  PgPool& pool_;
  const RetentionOptions options_;
};

}  // namespace hookd
