// EventStore: durable storage of received events. The interface is where tests inject faults
// (a store that fails the Nth commit) and where another database can sit beside SQLite.
// CommitBatch is called from the group committer's single thread; the read methods are
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/event.h"

namespace hookd {

struct EventFilter {
  std::optional<std::string> source_id;
  std::optional<std::string> type;
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  // In one transaction, for each event in order: insert it, or, when (source_id,
  // provider_event_id) is already stored (by an earlier batch or earlier in this one), report
  // that event's id as a duplicate. Every inserted event appends `event.received` to the status
  // log in the same transaction. On success the transaction has committed and the outcomes are
  // in batch order; on failure nothing of the batch is stored.
  virtual Result<std::vector<IngestOutcome>> CommitBatch(const std::vector<Event>& batch) = 0;

  // 404 not_found when there is no such event.
  virtual Result<Event> Get(const std::string& id) = 0;
  // Newest first, after the event whose id is `after`; up to limit + 1 rows (so the caller can
  // tell whether there is more). Bodies and headers are left empty.
  virtual Result<std::vector<Event>> List(const EventFilter& filter,
                                          const std::optional<std::string>& after, int limit) = 0;
};

}  // namespace hookd
