// SendQueue: a stream session's outgoing frames, bounded in bytes. The frames are shared,
// immutable strings (one serialization per entry, shared by every client). The front frame stays
// queued while it is being written. Not thread-safe: owned by one session and used on its strand.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>

namespace hookd {

using Frame = std::shared_ptr<const std::string>;

class SendQueue {
 public:
  explicit SendQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends `frame`. Returns false and appends nothing when the queued bytes would pass the bound
  // (a frame larger than the bound is still accepted into an empty queue). `force` skips the
  // bound: for catch-up pages, which are requested only when the queue has drained.
  bool Push(Frame frame, bool force = false) {
    if (!force && !frames_.empty() && bytes_ + frame->size() > max_bytes_) return false;
    bytes_ += frame->size();
    frames_.push_back(std::move(frame));
    return true;
  }
  bool empty() const { return frames_.empty(); }
  size_t size() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }
  const Frame& front() const { return frames_.front(); }
  const Frame& at(size_t i) const { return frames_[i]; }
  void Pop() {
    bytes_ -= frames_.front()->size();
    frames_.pop_front();
  }
  // Drops everything but the front frame (which may be in the middle of a write).
  void ClearAfterFront() { ClearAfter(1); }
  // Drops everything but the first `keep` frames (those being written).
  void ClearAfter(size_t keep) {
    while (frames_.size() > keep) {
      bytes_ -= frames_.back()->size();
      frames_.pop_back();
    }
  }

 private:
  const size_t max_bytes_;
  size_t bytes_ = 0;
  std::deque<Frame> frames_;
};

}  // namespace hookd
