// GroupCommitter: the single writer of received events, a BatchCommitter
// (common/batch_committer.h) over the EventStore. Concurrent ingest requests queue their
// events; one thread commits everything queued in one transaction and only then answers each
// request, from that thread, so no request is answered 2xx before its event is durable.
//
// Thread-safety: Submit may be called from any thread; Start/Stop from one owner thread.
#pragma once

#include "common/batch_committer.h"
#include "ingest/event.h"
#include "ingest/event_store.h"

namespace hookd {

class GroupCommitter final : public BatchCommitter<Event, IngestOutcome> {
 public:
  GroupCommitter(EventStore& store, size_t max_batch = 512, BatchObserver observer = nullptr)
      : BatchCommitter([&store](std::vector<Event>& batch) { return store.CommitBatch(batch); },
                       "the event", max_batch, std::move(observer)) {}
};

}  // namespace hookd
