#include "deliver/blocking_sender_adapter.h"

namespace hookd {
namespace {

SendResult Error(std::string why) {
  SendResult r;
  r.error = std::move(why);
  return r;
}

}  // namespace

BlockingSenderAdapter::BlockingSenderAdapter(Sender& sender, int threads) : sender_(sender) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

BlockingSenderAdapter::~BlockingSenderAdapter() { Stop(); }

void BlockingSenderAdapter::SendAsync(OutboundRequest request, std::chrono::milliseconds deadline,
                                      Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queue_.push_back(
          {std::move(request), std::chrono::steady_clock::now() + deadline, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Error("the sender is stopping"));
}

void BlockingSenderAdapter::Stop() {
  std::deque<Item> unstarted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    unstarted.swap(queue_);
    cv_.notify_all();
  }
  for (Item& item : unstarted) item.done(Error("the sender is stopping"));
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void BlockingSenderAdapter::Run() {
  while (true) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        item.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      SendResult r = Error("timed out waiting for a sender thread");
      item.done(std::move(r));
      continue;
    }
    item.done(sender_.Send(item.request, left));
  }
}

}  // namespace hookd
