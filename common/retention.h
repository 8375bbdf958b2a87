// RetentionOptions and PruneReport: what a retention pass is told and what it did, shared by
// SQLite's RetentionPruner (app/retention_pruner.h) and PostgreSQL's PgRetentionStore
// (storage/pg/pg_retention_store.h), which prune by the same rules (docs/DECISIONS.md,
// "Retention"). Plain data.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/status.h"

namespace hookd {

struct RetentionOptions {
  // Events, messages, deliveries and attempts; nullopt keeps them.
  std::optional<std::chrono::milliseconds> data;
  // Status-log entries; nullopt keeps them.
  std::optional<std::chrono::milliseconds> status_log;
  // Time between runs of the background thread.
  std::chrono::milliseconds interval{60000};
  // Rows deleted per transaction, at most (at least 1: a run with less is refused). A message
  // goes whole with its deliveries and attempts, so a message with more rows than this is
  // deleted alone in a larger transaction.
  int batch_rows = 200;
  // After each transaction the pruner waits this many times as long as it held the write lock,
  // so other writers take the lock between its batches (0: no pause).
  double pause_factor = 1.0;
};

// What one run did. Counts are of committed deletions only.
struct PruneReport {
  int64_t events = 0;
  int64_t messages = 0;
  int64_t deliveries = 0;
  int64_t attempts = 0;
  int64_t status_log = 0;
  int transactions = 0;                  // write transactions committed
  int64_t max_rows_per_transaction = 0;  // the largest of them, in rows deleted
  bool stopped = false;                  // Stop() ended the run before it was done
  // PostgreSQL: another node held the single runner's lock, so this node did nothing.
  bool skipped = false;
  Status status;  // the first database error; the run ends there

  int64_t total() const { return events + messages + deliveries + attempts + status_log; }
};

}  // namespace hookd
