// LongPoll: one GET /api/v1/updates?after=&timeout= (API.md, "Status stream"), held on a timer
// without a thread. Answered `200 {"events": [...], "next": <seq>}` as soon as an entry matching
// the filter exists after `after` (at once when one already does), or with an empty list when
// the timeout passes. Without `after` it waits for the next entry from now. At most
// page_size entries per answer; `next` is where to resume (entries up to it that are not in
// `events` did not match).
//
// Thread-safety: Start and the timer run on the connection's strand; OnEntry may be called from
// the hub's reader thread and only records the entry (guarded by mu_) and posts.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/http_types.h"
#include "web/stream_context.h"
#include "web/stream_filter.h"
#include "web/stream_hub.h"

namespace hookd {

class LongPoll final : public PerEntrySink, public std::enable_shared_from_this<LongPoll> {
 public:
  using Done = std::function<void(HttpResponse)>;
  // `credential` is checked again before entries are answered and every credential_recheck
  // while the poll waits: a session or token revoked or expired meanwhile is answered 401 (at
  // once, not when the timeout passes), not with entries.
  static std::shared_ptr<LongPoll> Create(const StreamContext& ctx,
                                          boost::asio::any_io_executor executor, StreamQuery query,
                                          CredentialCheck credential, Done done);
  ~LongPoll() override;

  void Start();
  void OnEntry(const StreamEntryPtr& entry) override;

 private:
  LongPoll(const StreamContext& ctx, boost::asio::any_io_executor executor, StreamQuery query,
           CredentialCheck credential, Done done);
  void FetchFrom(int64_t after);
  void Wait(int64_t after);
  void Finish();
  void Answer(std::vector<StreamEntryPtr> entries, int64_t next);
  void ScheduleCredentialCheck();

  const StreamContext& ctx_;
  boost::asio::any_io_executor executor_;
  const StreamQuery query_;
  CredentialCheck credential_;
  Done done_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer credential_timer_;
  std::vector<StreamEntryPtr> backlog_;  // strand only
  bool attached_ = false;                // strand only
  bool answered_ = false;                // strand only
  std::mutex mu_;
  std::vector<StreamEntryPtr> got_;  // guarded by mu_
  bool finish_posted_ = false;       // guarded by mu_
};

}  // namespace hookd
