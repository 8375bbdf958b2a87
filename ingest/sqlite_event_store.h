// EventStore on SQLite: CommitBatch writes through the process's shared writing connection
// (common/shared_writer.h; its own when none is given) and reads come from the pool.
#pragma once

#include <functional>
#include <memory>

#include "common/db.h"
#include "common/shared_writer.h"
#include "ingest/event_store.h"

namespace hookd {

class SqliteEventStore final : public EventStore {
 public:
  // Runs inside the commit's transaction for every newly inserted event (delivery uses it to
  // create the event's message and deliveries); an error rolls the whole batch back.
  using AfterInsert = std::function<Status(Db&, const Event&)>;
  // Runs once inside each commit's transaction, before the batch's events are inserted (delivery
  // uses it to read the endpoints as that transaction sees them); an error rolls it back.
  using BeforeBatch = std::function<Status(Db&)>;

  // `writer`: the shared writing connection (not owned); null opens one of its own.
  static Result<std::unique_ptr<SqliteEventStore>> Open(DbPool& pool,
                                                        AfterInsert after_insert = nullptr,
                                                        BeforeBatch before_batch = nullptr,
                                                        SharedWriter* writer = nullptr);

  Result<std::vector<IngestOutcome>> CommitBatch(const std::vector<Event>& batch) override;
  Result<Event> Get(const std::string& id) override;
  Result<std::vector<Event>> List(const EventFilter& filter,
                                  const std::optional<std::string>& after, int limit) override;

 private:
  SqliteEventStore(DbPool& pool, std::unique_ptr<SharedWriter> own_writer, SharedWriter& writer,
                   AfterInsert after_insert, BeforeBatch before_batch, bool sync_wal)
      : pool_(pool),
        own_writer_(std::move(own_writer)),
        writer_(writer),
        after_insert_(std::move(after_insert)),
        before_batch_(std::move(before_batch)),
        sync_wal_(sync_wal) {}
  Status InsertAll(Db& db, const std::vector<Event>& batch, std::vector<IngestOutcome>& out);

  DbPool& pool_;
  std::unique_ptr<SharedWriter> own_writer_;  // when Open was given none
  SharedWriter& writer_;
  AfterInsert after_insert_;
  BeforeBatch before_batch_;
  const bool sync_wal_;  // after each commit (the pool's synchronous=FULL)
};

}  // namespace hookd
