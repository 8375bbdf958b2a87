#include "web/stream_session.h"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace hookd {

StreamSession::StreamSession(const StreamContext& ctx, boost::asio::any_io_executor executor,
                             StreamFilter filter, prometheus::Counter& sent)
    : ctx_(ctx),
      executor_(executor),
      filter_(std::move(filter)),
      sent_(sent),
      queue_(ctx.limits.max_queue_bytes),
      drop_timer_(executor),
      credential_timer_(executor) {}

void StreamSession::OnEntries(const StreamBatchPtr& batch, const StreamPicks& picks) {
  // On the hub's reader thread: hand over to the strand, the only place the queue is touched.
  // One post per burst: later batches join the inbox the pending drain will take.
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    InboxItem& item = inbox_.emplace_back();
    item.batch = batch;
    if (picks.list) {
      item.list = *picks.list;
    } else {
      item.from = picks.from;
      item.to = picks.to;
    }
    if (inbox_posted_) return;
    inbox_posted_ = true;
  }
  boost::asio::post(executor_, [self = shared_from_this()] { self->DrainInbox(); });
}

void StreamSession::DrainInbox() {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    draining_.swap(inbox_);
    inbox_posted_ = false;
  }
  bool ok = true;
  for (InboxItem& item : draining_) {
    if (ok) ok = EnqueueBatch(item);
  }
  draining_.clear();
  if (ok) Flush();
}

// Queues the picked entries of one batch. A chunk that shares the batch's buffer keeps the whole
// batch alive, so only a run covering the whole batch does (an unfiltered SSE client: one chunk
// per read); other entries are queued one by one with their own shared block, so what a slow,
// filtered client pins stays what its byte bound counts. WebSocket: one message per entry.
// False when the session ended or was dropped.
bool StreamSession::EnqueueBatch(InboxItem& item) {
  const StreamBatch& b = *item.batch;
  const bool all = item.list.empty();
  const size_t n = all ? item.to - item.from : item.list.size();
  if (ConcatenatesEntries() && all && item.from == 0 && item.to == b.entries.size()) {
    std::string_view bytes = b.sse;
    return Enqueue({std::move(item.batch), bytes, static_cast<uint32_t>(n)});
  }
  for (size_t k = 0; k < n; ++k) {
    const StreamEntry& e = *b.entries[all ? item.from + k : item.list[k]];
    if (!Enqueue(Chunk::Of(FrameOf(e), 1))) return false;
  }
  return true;
}

void StreamSession::BeginFeed(std::optional<int64_t> after) {
  cursor_ = after;
  if (credential_) ScheduleCredentialCheck();
  Resume();
}

void StreamSession::ScheduleCredentialCheck() {
  credential_timer_.expires_after(ctx_.limits.credential_recheck);
  credential_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_ || self->dropping_) return;
    // A store that cannot answer now does not end a stream its check let in; a refusal does.
    if (Status s = self->credential_(); !s.ok() && s.kind() != ErrorKind::kUnavailable) {
      self->Drop("unauthorized");
      return;
    }
    self->ScheduleCredentialCheck();
  });
}

// Attaches to the hub when the ring covers the cursor, else reads the next page of the gap from
// the database. Called when the queue has drained, so a catch-up never holds more than one page.
void StreamSession::Resume() {
  if (stopped_ || dropping_ || attached_ || fetching_) return;
  auto backlog = ctx_.hub.Attach(shared_from_this(), filter_, cursor_);
  if (backlog) {
    attached_ = true;
    for (const StreamEntryPtr& e : *backlog) queue_.Push(Chunk::Of(FrameOf(*e), 1), /*force=*/true);
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
  for (const StreamEntryPtr& e : r.entries) queue_.Push(Chunk::Of(FrameOf(*e), 1), /*force=*/true);
  cursor_ = r.next;
  if (queue_.empty()) {
    Resume();
  } else {
    Flush();
  }
}

// Queues a live chunk without writing it; false when the session ended or was dropped.
bool StreamSession::Enqueue(Chunk chunk) {
  if (stopped_ || dropping_) return false;
  if (!queue_.Push(std::move(chunk))) {
    Drop("slow_consumer");
    return false;
  }
  return true;
}

bool StreamSession::QueueControl(Frame frame, bool force) {
  if (stopped_) return false;
  if (!queue_.Push(std::move(frame), force)) return false;
  Flush();
  return true;
}

// Writes what is queued, up to MaxFramesPerWrite frames in one write: a client that fell
// behind catches up in few large writes instead of one system call per entry.
void StreamSession::Flush() {
  if (writing_ || stopped_ || queue_.empty()) return;
  writing_ = true;
  in_flight_ = std::min(queue_.size(), std::max<size_t>(MaxFramesPerWrite(), 1));
  write_buffers_.clear();
  for (size_t i = 0; i < in_flight_; ++i)
    write_buffers_.push_back(boost::asio::buffer(queue_.at(i).bytes));
  WriteFrames(write_buffers_);
}

void StreamSession::OnWriteDone(const boost::system::error_code& ec) {
  writing_ = false;
  if (stopped_) return;
  if (ec) {
    Stop();
    return;
  }
  ++writes_done_;
  uint64_t entries = 0;
  for (; in_flight_ > 0; --in_flight_) {
    entries += queue_.front().entries;
    queue_.Pop();
  }
  // One update of the shared counter per write, not per entry.
  if (entries > 0) sent_.Increment(static_cast<double>(entries));
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
  queue_.ClearAfter(writing_ ? in_flight_ : 1);  // the frames being written stay
  if (Frame farewell = FarewellFrame(reason)) queue_.Push(std::move(farewell), /*force=*/true);
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
  credential_timer_.cancel();
  CloseTransport(drop_reason_);
}

}  // namespace hookd
