// StreamSession: the transport-independent half of an SSE or WebSocket client: its bounded send
// queue, its place in the status log (catch-up from the database in pages, then live entries
// from the hub) and the slow-consumer drop. SseSession and WsSession supply the framing and the
// socket operations.
//
// Thread-safety: a session lives on its strand (the socket's executor). OnEntries is called
// from the hub's reader thread once per hub read; it appends the batch (a shared pointer and the
// picked indexes) to a small inbox under a mutex and posts to the strand only when no drain of
// the inbox is pending, so a burst of reads costs one post. The drain turns a batch an SSE client
// takes whole (no filter) into one chunk, the batch's concatenated blocks; otherwise (filtered
// SSE, WebSocket: a message per entry) into one chunk per entry. Every other method runs on the
// strand.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "web/send_queue.h"
#include "web/stream_context.h"
#include "web/stream_filter.h"
#include "web/stream_hub.h"

namespace hookd {

class StreamSession : public StreamSink, public std::enable_shared_from_this<StreamSession> {
 public:
  void OnEntries(const StreamBatchPtr& batch, const StreamPicks& picks) final;
  // Binds the session to the credential that opened it: checked again every
  // credential_recheck from BeginFeed on, and when it stops being valid (session revoked or
  // expired, token no longer valid) the session is dropped with reason "unauthorized". Call
  // before starting.
  void BindCredential(CredentialCheck check) { credential_ = std::move(check); }
  // The completion of WriteFrame (on the strand).
  void OnWriteDone(const boost::system::error_code& ec);

 protected:
  StreamSession(const StreamContext& ctx, boost::asio::any_io_executor executor,
                StreamFilter filter, prometheus::Counter& sent);
  ~StreamSession() override = default;

  // Starts the feed after `after` (nullopt: from now). Call on the strand, once.
  void BeginFeed(std::optional<int64_t> after);
  // Queues a frame that is not an entry (SSE preamble, ping); false when over the bound.
  bool QueueControl(Frame frame, bool force);
  // Writes the next frame if none is being written.
  void Flush();
  // Closes with a reason: no more entries; FarewellFrame(reason), if any, is written, then
  // CloseTransport. The transport is closed after drop_grace even if the client never reads.
  void Drop(const std::string& reason);
  // Ends the session at once (client gone, write error): detaches from the hub.
  void Stop();
  bool stopped() const { return stopped_; }
  bool writing() const { return writing_; }
  uint64_t writes_done() const { return writes_done_; }

  // The bytes of an entry for this transport.
  virtual const Frame& FrameOf(const StreamEntry& e) const = 0;
  // The last frame written to a dropped client (nullptr: none).
  virtual Frame FarewellFrame(const std::string& reason) const = 0;
  // Frames one write may carry: SSE concatenates entries, a WebSocket message is one entry.
  virtual size_t MaxFramesPerWrite() const { return 1; }
  // True when a whole batch may be one chunk (SSE blocks are concatenated as they are in the
  // batch; a WebSocket message is one entry).
  virtual bool ConcatenatesEntries() const { return false; }
  // Starts writing `frames` (at most MaxFramesPerWrite; the frames stay alive in the queue until
  // the completion); calls OnWriteDone on the strand when done.
  virtual void WriteFrames(const std::vector<boost::asio::const_buffer>& frames) = 0;
  // Closes the transport (`reason` set when dropped). Called once.
  virtual void CloseTransport(const std::optional<std::string>& reason) = 0;

  const StreamContext& ctx_;
  boost::asio::any_io_executor executor_;

 private:
  void Resume();
  void OnFetched(FetchResult r);
  void ScheduleCredentialCheck();
  struct InboxItem {
    StreamBatchPtr batch;
    uint32_t from = 0, to = 0;   // every entry in [from, to) when `list` is empty
    std::vector<uint32_t> list;  // else these
  };
  void DrainInbox();
  bool EnqueueBatch(InboxItem& item);
  bool Enqueue(Chunk chunk);

  const StreamFilter filter_;
  prometheus::Counter& sent_;
  SendQueue queue_;
  std::optional<int64_t> cursor_;  // catch-up position while not attached
  bool attached_ = false;
  bool fetching_ = false;
  bool writing_ = false;
  bool dropping_ = false;
  bool stopped_ = false;
  std::optional<std::string> drop_reason_;
  boost::asio::steady_timer drop_timer_;
  CredentialCheck credential_;
  boost::asio::steady_timer credential_timer_;
  uint64_t writes_done_ = 0;
  size_t in_flight_ = 0;  // chunks of queue_ in the write being made
  std::vector<boost::asio::const_buffer> write_buffers_;
  std::vector<InboxItem> draining_;  // strand only: the inbox being drained (keeps capacity)

  std::mutex inbox_mu_;
  std::vector<InboxItem> inbox_;  // guarded by inbox_mu_: batches from the hub
  bool inbox_posted_ = false;     // guarded by inbox_mu_: a DrainInbox is pending
};

}  // namespace hookd
