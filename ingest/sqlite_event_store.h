// EventStore on SQLite: one dedicated writer connection for CommitBatch (used only by the group
// committer's thread) and the shared pool for reads.
#pragma once

#include <memory>

#include "common/db.h"
#include "ingest/event_store.h"

namespace hookd {

class SqliteEventStore final : public EventStore {
 public:
  static Result<std::unique_ptr<SqliteEventStore>> Open(DbPool& pool);

  Result<std::vector<IngestOutcome>> CommitBatch(const std::vector<Event>& batch) override;
  Result<Event> Get(const std::string& id) override;
  Result<std::vector<Event>> List(const EventFilter& filter,
                                  const std::optional<std::string>& after, int limit) override;

 private:
  SqliteEventStore(DbPool& pool, std::unique_ptr<Db> writer)
      : pool_(pool), writer_(std::move(writer)) {}
  Status InsertAll(const std::vector<Event>& batch, std::vector<IngestOutcome>& out);

  DbPool& pool_;
  std::unique_ptr<Db> writer_;  // only touched by CommitBatch's caller thread
};

}  // namespace hookd
