#include "storage/pg/pg_status_log.h"

#include "common/json_limits.h"
#include "common/status_log.h"

namespace hookd {
namespace {

// One statement for the whole batch, so the head's row lock is taken once, last. $1 is a JSON
// array of [type, at, data text]; entry n (from 1) of N gets head - N + n. The NOTIFY is queued
// in the same statement and delivered at COMMIT.
constexpr const char* kAppend =
    "WITH entries AS ("
    "  SELECT e, n FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, n)), "
    "head AS ("
    "  UPDATE status_log_head SET seq = seq + json_array_length($1::json) WHERE id = 1 "
    "  RETURNING seq), "
    "written AS ("
    "  INSERT INTO status_log (seq, type, at, data) "
    "  SELECT head.seq - json_array_length($1::json) + entries.n, e->>0, (e->>1)::bigint, e->>2 "
    "  FROM head, entries RETURNING seq) "
    "SELECT last, pg_notify($2, last::text) FROM (SELECT max(seq) AS last FROM written) w";

}  // namespace

void PgStatusEntries::Append(std::string_view type, int64_t at_ms, const nlohmann::json& data) {
  entries_.push_back({std::string(type), at_ms, StatusDataText(data)});
}

void PgStatusEntries::AppendText(std::string_view type, int64_t at_ms, std::string_view data) {
  entries_.push_back({std::string(type), at_ms, std::string(data)});
}

Result<int64_t> CommitWithStatus(PgTransaction& txn, PgStatusEntries&& entries) {
  int64_t last = 0;
  if (!entries.empty()) {
    nlohmann::json batch = nlohmann::json::array();
    for (auto& e : entries.entries_) {
      batch.push_back({std::move(e.type), e.at_ms, std::move(e.data)});
    }
    entries.entries_.clear();
    auto r = txn.conn().Exec(kAppend, {DumpJson(batch), kPgStatusChannel});
    if (!r.ok()) {
      (void)txn.Rollback();
      return r.status();
    }
    auto seq = r->Int(0, 0);
    if (!seq.ok()) {
      (void)txn.Rollback();
      return seq.status();
    }
    last = *seq;
  }
  if (Status s = txn.Commit(); !s.ok()) return s;
  return last;
}

}  // namespace hookd
