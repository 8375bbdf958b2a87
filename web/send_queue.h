// SendQueue: a stream session's outgoing chunks, bounded in bytes. A chunk is a range of shared,
// immutable bytes (one serialization per entry or per hub read, shared by every client) kept
// alive by its owner, and says how many entries it carries. The front chunks stay queued while
// they are being written. Not thread-safe: owned by one session and used on its strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace hookd {

using Frame = std::shared_ptr<const std::string>;

struct Chunk {
  std::shared_ptr<const void> owner;  // keeps `bytes` alive
  std::string_view bytes;
  uint32_t entries = 0;  // status entries in it (0: a control frame)

  static Chunk Of(Frame frame, uint32_t entries) {
    std::string_view bytes = *frame;
    return {std::move(frame), bytes, entries};
  }
};

class SendQueue {
 public:
  explicit SendQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends `chunk`. Returns false and appends nothing when the queued bytes would pass the bound
  // (a chunk larger than the bound is still accepted into an empty queue). `force` skips the
  // bound: for catch-up pages, which are requested only when the queue has drained.
  bool Push(Chunk chunk, bool force = false) {
    if (!force && !chunks_.empty() && bytes_ + chunk.bytes.size() > max_bytes_) return false;
    bytes_ += chunk.bytes.size();
    chunks_.push_back(std::move(chunk));
    return true;
  }
  bool Push(Frame frame, bool force = false) { return Push(Chunk::Of(std::move(frame), 0), force); }
  bool empty() const { return chunks_.empty(); }
  size_t size() const { return chunks_.size(); }
  size_t bytes() const { return bytes_; }
  const Chunk& front() const { return chunks_.front(); }
  const Chunk& at(size_t i) const { return chunks_[i]; }
  void Pop() {
    bytes_ -= chunks_.front().bytes.size();
    chunks_.pop_front();
  }
  // Drops everything but the front chunk (which may be in the middle of a write).
  void ClearAfterFront() { ClearAfter(1); }
  // Drops everything but the first `keep` chunks (those being written).
  void ClearAfter(size_t keep) {
    while (chunks_.size() > keep) {
      bytes_ -= chunks_.back().bytes.size();
      chunks_.pop_back();
    }
  }

 private:
  const size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Chunk> chunks_;
};

}  // namespace hookd
