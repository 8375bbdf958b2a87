// PgAppReaperStore: the application reaper on PostgreSQL, by AppReaper's rules (apps/app_reaper.h):
// a deleted application's messages go batch by batch with their deliveries and attempts, then,
// once none is left, its sources, tokens, event types, endpoints and its row, in one transaction.
//
// Runs only while this node holds the reaper's lock (PgSingletonLock, kPgAppReaperLockKey), so
// nodes do not walk the same batches; a node that does not get it skips the run. No message can
// be added to a deleted application meanwhile: publishing takes the live application's row FOR
// SHARE (storage/pg/pg_rows.h), which the deletion's UPDATE waits for, and a deleted row is not
// live. The application's row goes only where no message of it is left, checked in the deleting
// statement.
//
// Thread-safety: RunOnce from one thread at a time.
#pragma once

#include <string>

#include "apps/app_reaper.h"
#include "common/result.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_singleton_lock.h"

namespace hookd {

class PgAppReaperStore {
 public:
  PgAppReaperStore(PgPool& pool, int batch_messages) : pool_(pool), batch_(batch_messages) {}

  // Everything of every deleted application, batch by batch, while holding `lock` (taken here,
  // released at the end); report.skipped, and nothing done, when another node holds it. A
  // batch_messages below 1 is kInvalidField, nothing removed.
  ReapReport RunOnce(PgSingletonLock& lock);

  // One batch of one application (as AppReaper's): up to batch_messages messages, or, once none
  // is left, the rest and the row, run again when it lost a race. Returns whether anything of it
  // was left.
  Result<bool> ReapBatch(const std::string& app_id, ReapReport& report);

 private:
  Result<bool> ReapBatchOnce(const std::string& app_id, ReapReport& report);

  PgPool& pool_;
  const int batch_;
};

}  // namespace hookd
