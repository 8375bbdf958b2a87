#include "ingest/group_committer.h"

namespace hookd {

GroupCommitter::GroupCommitter(EventStore& store, size_t max_batch, BatchObserver observer)
    : store_(store), max_batch_(max_batch), observer_(std::move(observer)) {}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Start() {
  thread_ = std::thread([this] { Run(); });
}

void GroupCommitter::Submit(Event event, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back({std::move(event), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Status::Unavailable("hookd is shutting down; retry later"));
}

void GroupCommitter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void GroupCommitter::Run() {
  std::vector<Item> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been answered
      // No waiting for the batch to fill: while one batch commits, the next one queues, so the
      // batch size follows the load and a lone request is not delayed.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(batch);
    batch.clear();
  }
}

void GroupCommitter::CommitBatch(std::vector<Item>& batch) {
  std::vector<Event> events;
  events.reserve(batch.size());
  for (auto& item : batch) events.push_back(std::move(item.event));
  auto outcomes = store_.CommitBatch(events);
  if (observer_) observer_(batch.size(), outcomes.ok() ? Status::Ok() : outcomes.status());
  if (!outcomes.ok() || outcomes->size() != batch.size()) {
    const Status error =
        Status::Unavailable("the event could not be stored (" +
                            (outcomes.ok() ? std::string("store answered a wrong count")
                                           : outcomes.status().message()) +
                            "); nothing was stored, retry later");
    for (auto& item : batch) item.done(error);
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move((*outcomes)[i]));
}

}  // namespace hookd
