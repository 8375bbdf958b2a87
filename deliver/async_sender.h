// AsyncSender: starts one outbound delivery attempt and reports its result through a callback,
// so an attempt in flight costs a few kilobytes of state, not a thread (docs/DECISIONS.md,
// "Asynchronous delivery"). It guarantees the SSRF check of the address actually dialled, one total
// deadline (connect, TLS, write and read; a trickling receiver is cut at it), at most 64 KiB of the
// response read and 4 KiB kept, keep-alive connections pooled per endpoint, TLS verification with
// SNI, redirects never followed. Implementations are thread-safe.
#pragma once

#include <chrono>
#include <functional>

#include "deliver/sender.h"

namespace hookd {

class AsyncSender {
 public:
  using Done = std::function<void(SendResult)>;
  virtual ~AsyncSender() = default;
  // Starts the attempt and returns at once. `done` is called exactly once: on one of the
  // sender's I/O threads, or inline when the attempt is refused before any I/O (a forbidden
  // address, a sender that is stopping). It must not block.
  virtual void SendAsync(OutboundRequest request, std::chrono::milliseconds deadline,
                         Done done) = 0;
};

}  // namespace hookd
