// The status log on PostgreSQL: appending a transaction's entries so that seqs commit in order.
//
// Seqs come from the one-row counter status_log_head, taken in the last statement before COMMIT
// (migrations/postgres/0001_status_log.sql; docs/DECISIONS.md, "PostgreSQL: the status log's
// seqs are taken at the end of the writing transaction"). So that nothing can run between that
// statement and COMMIT, a transaction's entries are collected in a PgStatusEntries while it runs
// and CommitWithStatus writes them and commits, as one call. The entries' data is stored as the
// SQLite log stores it (StatusDataText), so both engines' streams serve the same bytes.
// Not thread-safe: a PgStatusEntries belongs to its transaction's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "storage/pg/pg_conn.h"

namespace hookd {

// The channel every commit with status entries notifies; the payload is its last seq.
inline constexpr std::string_view kPgStatusChannel = "hookd_status";

// The status entries a transaction will append, in order.
class PgStatusEntries {
 public:
  // `data` is a JSON object (ids, status, ...), stored as StatusDataText(data).
  void Append(std::string_view type, int64_t at_ms, const nlohmann::json& data);
  // The same with `data` already written as JSON object text (for the hot paths).
  void AppendText(std::string_view type, int64_t at_ms, std::string_view data);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  friend Result<int64_t> CommitWithStatus(PgTransaction& txn, PgStatusEntries&& entries);
  struct Entry {
    std::string type;
    int64_t at_ms;
    std::string data;
  };
  std::vector<Entry> entries_;
};

// Ends `txn`: appends `entries` with the next seqs (in their order), notifies kPgStatusChannel
// with the last of them, and commits. The head's row lock taken by the append makes a concurrent
// appender wait until this commit is visible, so seqs become visible in increasing order with no
// gaps (a transaction that fails takes its seqs back). Returns the last seq written, or 0 when
// `entries` is empty (then it only commits, and notifies nothing). On an error the transaction
// is rolled back; a lost connection during COMMIT leaves the outcome unknown (kUnavailable), as
// PgTransaction::Commit does. Under REPEATABLE READ or SERIALIZABLE a concurrent append makes
// this fail with retry_transaction (IsPgRetryable): run the transaction again.
Result<int64_t> CommitWithStatus(PgTransaction& txn, PgStatusEntries&& entries);

}  // namespace hookd
