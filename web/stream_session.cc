#include "web/stream_session.h"

#include <boost/asio/post.hpp>

namespace hookd {

StreamSession::StreamSession(const StreamContext& ctx, boost::asio::any_io_executor executor,
                             StreamFilter filter, prometheus::Counter& sent)
    : ctx_(ctx),
      executor_(executor),
      filter_(std::move(filter)),
      sent_(sent),
      queue_(ctx.limits.max_queue_bytes),
      drop_timer_(executor) {}

void StreamSession::OnEntry(const StreamEntryPtr& entry) {
  // On the hub's reader thread: hop to the strand, the only place the queue is touched.
  boost::asio::post(executor_, [self = shared_from_this(), entry] { self->Enqueue(entry); });
}

void StreamSession::BeginFeed(std::optional<int64_t> after) {
  cursor_ = after;
  Resume();
}

// Attaches to the hub when the ring covers the cursor, else reads the next page of the gap from
// the database. Called when the queue has drained, so a catch-up never holds more than one page.
void StreamSession::Resume() {
  if (stopped_ || dropping_ || attached_ || fetching_) return;
  auto backlog = ctx_.hub.Attach(shared_from_this(), filter_, cursor_);
  if (backlog) {
    attached_ = true;
    for (const StreamEntryPtr& e : *backlog) {
      queue_.Push(FrameOf(*e), /*force=*/true);
      is_entry_.push_back(true);
    }
    Flush();
    return;
  }
  fetching_ = true;
  std::weak_ptr<StreamSession> weak = shared_from_this();
  ctx_.hub.Fetch(*cursor_, filter_, ctx_.limits.page_size, [weak, ex = executor_](FetchResult r) {
    boost::asio::post(ex, [weak, r = std::move(r)]() mutable {
      if (auto self = weak.lock()) self->OnFetched(std::move(r));
    });
  });
}

void StreamSession::OnFetched(FetchResult r) {
  fetching_ = false;
  if (stopped_ || dropping_) return;
  if (!r.status.ok()) {
    Drop("unavailable");
    return;
  }
  for (const StreamEntryPtr& e : r.entries) {
    queue_.Push(FrameOf(*e), /*force=*/true);
    is_entry_.push_back(true);
  }
  cursor_ = r.next;
  if (queue_.empty()) {
    Resume();
  } else {
    Flush();
  }
}

void StreamSession::Enqueue(const StreamEntryPtr& e) {
  if (stopped_ || dropping_) return;
  if (!queue_.Push(FrameOf(*e))) {
    Drop("slow_consumer");
    return;
  }
  is_entry_.push_back(true);
  Flush();
}

bool StreamSession::QueueControl(Frame frame, bool force) {
  if (stopped_) return false;
  if (!queue_.Push(std::move(frame), force)) return false;
  is_entry_.push_back(false);
  Flush();
  return true;
}

void StreamSession::Flush() {
  if (writing_ || stopped_ || queue_.empty()) return;
  writing_ = true;
  WriteFrame(queue_.front());
}

void StreamSession::OnWriteDone(const boost::system::error_code& ec) {
  writing_ = false;
  if (stopped_) return;
  if (ec) {
    Stop();
    return;
  }
  ++writes_done_;
  if (is_entry_.front()) sent_.Increment();
  is_entry_.pop_front();
  queue_.Pop();
  if (!queue_.empty()) {
    Flush();
  } else if (dropping_) {
    Stop();
  } else if (!attached_) {
    Resume();
  }
}

void StreamSession::Drop(const std::string& reason) {
  if (stopped_ || dropping_) return;
  dropping_ = true;
  drop_reason_ = reason;
  ctx_.dropped(reason).Increment();
  if (attached_) ctx_.hub.Detach(this);
  attached_ = false;
  queue_.ClearAfterFront();
  is_entry_.resize(queue_.size());
  if (Frame farewell = FarewellFrame(reason)) {
    queue_.Push(std::move(farewell), /*force=*/true);
    is_entry_.push_back(false);
  }
  if (queue_.empty()) {
    Stop();
    return;
  }
  Flush();
  // A client that stopped reading never takes the farewell: close anyway.
  drop_timer_.expires_after(ctx_.limits.drop_grace);
  drop_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Stop();
  });
}

void StreamSession::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (attached_) ctx_.hub.Detach(this);
  attached_ = false;
  drop_timer_.cancel();
  CloseTransport(drop_reason_);
}

}  // namespace hookd
