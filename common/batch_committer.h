// BatchCommitter<In, Out>: a single writer that group-commits (docs/DECISIONS.md, "Group
// commit"). Concurrent requests queue their items; one thread takes everything queued (up to
// max_batch), commits it in one transaction through the commit function, and only then calls
// each request's callback, from that thread. One fsync thus covers many requests, and no request
// is answered before its item is durable. Used for received events (ingest/group_committer.h)
// and for published messages (deliver/message_service.h).
//
// Thread-safety: Submit may be called from any thread; Start/Stop from one owner thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/thread_name.h"

namespace hookd {

template <typename In, typename Out>
class BatchCommitter {
 public:
  using Done = std::function<void(Result<Out>)>;
  // Commits the batch in one transaction; on success returns one outcome per item, in order; on
  // failure nothing of the batch is stored. Runs on the writer thread only.
  using CommitFn = std::function<Result<std::vector<Out>>(std::vector<In>&)>;
  // Called on the writer thread after every commit attempt with the batch size (for metrics).
  using BatchObserver = std::function<void(size_t batch_size, const Status& result)>;

  // `what` names an item in the 503 answered when a batch fails ("the event").
  BatchCommitter(CommitFn commit, std::string what, size_t max_batch = 512,
                 BatchObserver observer = nullptr)
      : commit_(std::move(commit)),
        what_(std::move(what)),
        max_batch_(max_batch),
        observer_(std::move(observer)) {}
  virtual ~BatchCommitter() { Stop(); }
  BatchCommitter(const BatchCommitter&) = delete;
  BatchCommitter& operator=(const BatchCommitter&) = delete;

  // `thread_name` is what `top -H` shows for the writer thread (common/thread_name.h).
  void Start(std::string thread_name = "hookd-commit") {
    thread_ = std::thread([this, name = std::move(thread_name)] {
      NameThisThread(name);
      Run();
    });
  }

  // Queues `item`. `done` runs exactly once on the writer thread: with the outcome after the
  // commit, or with 503 unavailable when the commit failed. After Stop() began, `done` runs at
  // once, on the caller's thread, with 503 unavailable.
  void Submit(In item, Done done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopping_) {
        queue_.push_back({std::move(item), std::move(done)});
        cv_.notify_one();
        return;
      }
    }
    done(Status::Unavailable("hookd is shutting down; retry later"));
  }

  // Commits and answers everything already queued, then stops the thread. Idempotent.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Item {
    In in;
    Done done;
  };

  void Run() {
    std::vector<Item> batch;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued has been answered
        // No waiting for the batch to fill: while one batch commits, the next one queues, so
        // the batch size follows the load and a lone request is not delayed.
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      CommitBatch(batch);
      batch.clear();
    }
  }

  void CommitBatch(std::vector<Item>& batch) {
    std::vector<In> items;
    items.reserve(batch.size());
    for (auto& item : batch) items.push_back(std::move(item.in));
    auto outcomes = commit_(items);
    if (observer_) observer_(batch.size(), outcomes.ok() ? Status::Ok() : outcomes.status());
    if (!outcomes.ok() || outcomes->size() != batch.size()) {
      // The commit function says whether anything of the batch may be stored (a sync that
      // failed after the commit); a failed transaction stored nothing of it.
      const Status error =
          Status::Unavailable(what_ + " could not be stored (" +
                              (outcomes.ok() ? std::string("store answered a wrong count")
                                             : outcomes.status().message()) +
                              "); retry later");
      for (auto& item : batch) item.done(error);
      return;
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move((*outcomes)[i]));
  }

  const CommitFn commit_;
  const std::string what_;
  const size_t max_batch_;
  const BatchObserver observer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
