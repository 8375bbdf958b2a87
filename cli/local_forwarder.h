// LocalForwarder: `hookd listen`'s side of a delivery: POSTs it to the local URL (--forward-to)
// with the headers and body hookd sent, on a few worker threads (cpp-httplib; localhost is the
// point, so no SSRF check here), and reports the status, time and first 4 KiB of the answer.
// Redirects are not followed (as hookd does not).
//
// Thread-safety: Submit from any thread; `done` runs on a worker thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/listen_protocol.h"
#include "common/result.h"

namespace hookd::cli {

struct LocalUrl {
  std::string origin;  // scheme://host[:port]
  std::string path;    // with the query, "/" when empty
};
// "localhost:3000/hooks", "http://127.0.0.1:3000/x", "https://...": a scheme is added when
// missing (http); 422 for anything else.
Result<LocalUrl> ParseLocalUrl(const std::string& text);

class LocalForwarder {
 public:
  // `generation` is passed through to `done` (the connection the delivery came on).
  using Done =
      std::function<void(uint64_t generation, const ListenDelivery& delivery, ListenResult result)>;
  LocalForwarder(LocalUrl url, int workers, std::chrono::milliseconds timeout, Done done);
  ~LocalForwarder();  // drops what waits, lets the POSTs under way end, joins

  void Submit(uint64_t generation, ListenDelivery delivery);

 private:
  void Work();

  const LocalUrl url_;
  const std::chrono::milliseconds timeout_;
  Done done_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, ListenDelivery>> queue_;  // guarded by mu_
  bool stopping_ = false;                                  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace hookd::cli
