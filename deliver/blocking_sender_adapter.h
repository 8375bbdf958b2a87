// BlockingSenderAdapter: an AsyncSender that runs a blocking Sender (deliver/http_sender.h) on a
// bounded pool of its own threads, until the asynchronous HTTP client takes its place. SendAsync
// only queues the attempt; a pool thread makes it and calls `done`. The deadline counts from
// SendAsync: the time an attempt waits for a thread is taken from it, and an attempt whose
// deadline passed while waiting fails as a timeout without being sent. So with every thread
// held by hanging receivers, other endpoints' attempts wait at most their deadline, and the
// engine's dispatcher never waits at all.
//
// Thread-safety: SendAsync may be called from any thread; Stop and the destructor from the
// owner. After Stop, SendAsync answers at once (inline) with an error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "deliver/async_sender.h"
#include "deliver/sender.h"

namespace hookd {

class BlockingSenderAdapter final : public AsyncSender {
 public:
  BlockingSenderAdapter(Sender& sender, int threads);
  ~BlockingSenderAdapter() override;
  BlockingSenderAdapter(const BlockingSenderAdapter&) = delete;
  BlockingSenderAdapter& operator=(const BlockingSenderAdapter&) = delete;

  void SendAsync(OutboundRequest request, std::chrono::milliseconds deadline, Done done) override;
  // Answers the queued attempts with an error, waits for those being sent, stops the threads.
  void Stop();

 private:
  struct Item {
    OutboundRequest request;
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  void Run();

  Sender& sender_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace hookd
