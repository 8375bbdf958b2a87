// EventStore on PostgreSQL, over a PgPool: the same behaviour as SqliteEventStore with any number
// of nodes writing at once (docs/DECISIONS.md, "PostgreSQL: the stores over a PgPool").
//
// Dedup is the unique index events_dedup's: each event is inserted with ON CONFLICT DO NOTHING
// RETURNING, and when no row comes back the stored event is read, so two nodes committing the same
// provider event id make one event and both answer with its id. A batch's inserts are made in
// (source_id, provider_event_id) order, so two batches sharing keys lock them in the same order
// and never deadlock each other. The `event.received` entries go through PgStatusEntries and
// CommitWithStatus (seqs in commit order). A transaction that loses a race (retry_transaction) is
// run again, up to kPgTransactionAttempts times in all. Thread-safe; CommitBatch is meant for the
// group committer's one thread, as on SQLite.
#pragma once

#include <functional>

#include "ingest/event_store.h"
#include "storage/pg/pg_pool.h"
#include "storage/pg/pg_status_log.h"

namespace hookd {

class PgEventStore final : public EventStore {
 public:
  // Runs inside the commit's transaction for every newly inserted event, in batch order, after
  // all of the batch's inserts; its status entries go to `entries`. An error rolls the whole
  // batch back. It may run more than once for one batch (a retried transaction), so it must keep
  // no state of its own across calls.
  using AfterInsert = std::function<Status(PgConn&, PgStatusEntries& entries, const Event&)>;
  // Runs once inside each commit's transaction, before the batch's events are inserted.
  using BeforeBatch = std::function<Status(PgConn&)>;

  explicit PgEventStore(PgPool& pool, AfterInsert after_insert = nullptr,
                        BeforeBatch before_batch = nullptr)
      : pool_(pool),
        after_insert_(std::move(after_insert)),
        before_batch_(std::move(before_batch)) {}

  Result<std::vector<IngestOutcome>> CommitBatch(const std::vector<Event>& batch) override;
  Result<Event> Get(const std::string& id) override;
  Result<std::vector<Event>> List(const EventFilter& filter,
                                  const std::optional<std::string>& after, int limit) override;

 private:
  // One attempt: the whole batch in one transaction.
  Result<std::vector<IngestOutcome>> CommitOnce(const std::vector<Event>& batch);

  PgPool& pool_;
  AfterInsert after_insert_;
  BeforeBatch before_batch_;
};

}  // namespace hookd
