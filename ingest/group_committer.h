// GroupCommitter: the single writer of received events. Concurrent ingest requests queue their
// events here; one thread takes everything queued (up to max_batch), commits it in one
// transaction through the EventStore, and only then calls each request's callback, from that
// thread. One fsync thus covers many requests, and no request is answered 2xx before its event
// is durable.
//
// Thread-safety: Submit may be called from any thread; Start/Stop from one owner thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/result.h"
#include "ingest/event.h"
#include "ingest/event_store.h"

namespace hookd {

class GroupCommitter {
 public:
  using Done = std::function<void(Result<IngestOutcome>)>;
  // Called on the writer thread after every commit attempt with the batch size (for metrics).
  using BatchObserver = std::function<void(size_t batch_size, const Status& result)>;

  GroupCommitter(EventStore& store, size_t max_batch = 512, BatchObserver observer = nullptr);
  ~GroupCommitter();

  void Start();
  // Queues `event`. `done` runs exactly once on the writer thread: with the outcome after the
  // commit, or with the store's error (503 unavailable) when the commit failed. After Stop()
  // began, `done` runs at once, on the caller's thread, with 503 unavailable.
  void Submit(Event event, Done done);
  // Commits and answers everything already queued, then stops the thread. Idempotent.
  void Stop();

 private:
  struct Item {
    Event event;
    Done done;
  };
  void Run();
  void CommitBatch(std::vector<Item>& batch);

  EventStore& store_;
  const size_t max_batch_;
  BatchObserver observer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
