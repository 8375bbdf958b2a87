#include "web/long_poll.h"

#include <boost/asio/post.hpp>

#include "common/http_errors.h"

namespace hookd {

std::shared_ptr<LongPoll> LongPoll::Create(const StreamContext& ctx,
                                           boost::asio::any_io_executor executor, StreamQuery query,
                                           CredentialCheck credential, Done done) {
  return std::shared_ptr<LongPoll>(new LongPoll(ctx, std::move(executor), std::move(query),
                                                std::move(credential), std::move(done)));
}

LongPoll::LongPoll(const StreamContext& ctx, boost::asio::any_io_executor executor,
                   StreamQuery query, CredentialCheck credential, Done done)
    : ctx_(ctx),
      executor_(executor),
      query_(std::move(query)),
      credential_(std::move(credential)),
      done_(std::move(done)),
      timer_(executor),
      credential_timer_(executor) {
  ctx_.longpoll_clients.Increment();
}

LongPoll::~LongPoll() { ctx_.longpoll_clients.Decrement(); }

void LongPoll::Start() {
  if (query_.after) {
    FetchFrom(*query_.after);
  } else {
    Wait(ctx_.hub.last_seq());
  }
}

// Reads what already exists after `after` (the ring, or the database for an old resume point);
// answers if anything matches, else waits from where the read ended.
void LongPoll::FetchFrom(int64_t after) {
  // Strong: nothing else holds a long-poll while its read is pending.
  ctx_.hub.Fetch(after, query_.filter, ctx_.limits.page_size,
                 [self = shared_from_this()](FetchResult r) {
                   boost::asio::post(self->executor_, [self, r = std::move(r)]() mutable {
                     if (self->answered_) return;
                     if (!r.status.ok()) {
                       self->answered_ = true;
                       self->done_(ErrorResponse(r.status));
                     } else if (!r.entries.empty()) {
                       self->Answer(std::move(r.entries), r.next);
                     } else {
                       self->Wait(r.next);
                     }
                   });
                 });
}

void LongPoll::Wait(int64_t after) {
  auto backlog = ctx_.hub.Attach(shared_from_this(), query_.filter, after);
  if (!backlog) {  // the ring moved past `after` meanwhile: read the gap first
    FetchFrom(after);
    return;
  }
  attached_ = true;
  backlog_ = std::move(*backlog);
  if (!backlog_.empty() || query_.timeout.count() == 0) {
    Finish();
    return;
  }
  timer_.expires_after(query_.timeout);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Finish();
  });
  if (credential_) ScheduleCredentialCheck();
}

void LongPoll::ScheduleCredentialCheck() {
  credential_timer_.expires_after(ctx_.limits.credential_recheck);
  credential_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->answered_) return;
    // A store that cannot answer is not a revocation: the answer's own check decides then.
    if (Status s = self->credential_(); !s.ok() && s.kind() != ErrorKind::kUnavailable) {
      self->answered_ = true;
      self->timer_.cancel();
      self->ctx_.hub.Detach(self.get());
      self->attached_ = false;
      self->done_(ErrorResponse(s));
      return;
    }
    self->ScheduleCredentialCheck();
  });
}

void LongPoll::OnEntry(const StreamEntryPtr& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (got_.size() < ctx_.limits.page_size) got_.push_back(entry);
  if (finish_posted_) return;
  finish_posted_ = true;
  boost::asio::post(executor_, [self = shared_from_this()] { self->Finish(); });
}

void LongPoll::Finish() {
  if (answered_) return;
  timer_.cancel();
  // After Detach no entry is offered any more, so backlog + got_ is complete up to `next`.
  int64_t next = ctx_.hub.Detach(this);
  attached_ = false;
  std::vector<StreamEntryPtr> entries = std::move(backlog_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries.insert(entries.end(), got_.begin(), got_.end());
    got_.clear();
  }
  Answer(std::move(entries), next);
}

void LongPoll::Answer(std::vector<StreamEntryPtr> entries, int64_t next) {
  if (answered_) return;
  answered_ = true;
  credential_timer_.cancel();
  if (credential_) {
    if (Status s = credential_(); !s.ok()) {
      done_(ErrorResponse(s));
      return;
    }
  }
  if (entries.size() >= ctx_.limits.page_size) {
    entries.resize(ctx_.limits.page_size);
    next = entries.back()->seq;
  }
  // The entries' JSON is already serialized; the answer only joins it.
  std::string body = "{\"events\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) body += ',';
    body += *entries[i]->json;
  }
  body += "],\"next\":" + std::to_string(next) + "}";
  ctx_.longpoll_sent.Increment(static_cast<double>(entries.size()));
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  done_(std::move(r));
}

}  // namespace hookd
