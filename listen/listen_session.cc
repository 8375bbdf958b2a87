#include "listen/listen_session.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "common/listen_protocol.h"

namespace hookd {
namespace websocket = boost::beast::websocket;

std::shared_ptr<ListenSession> ListenSession::Create(boost::beast::tcp_stream stream,
                                                     ListenEndpoints& endpoints,
                                                     CliTunnels& tunnels, ListenLimits limits,
                                                     std::optional<std::string> principal_app,
                                                     CredentialCheck credential,
                                                     std::shared_ptr<void> slot) {
  return std::shared_ptr<ListenSession>(new ListenSession(std::move(stream), endpoints, tunnels,
                                                          limits, std::move(principal_app),
                                                          std::move(credential), std::move(slot)));
}

ListenSession::ListenSession(boost::beast::tcp_stream stream, ListenEndpoints& endpoints,
                             CliTunnels& tunnels, ListenLimits limits,
                             std::optional<std::string> principal_app, CredentialCheck credential,
                             std::shared_ptr<void> slot)
    : ws_(std::move(stream)),
      endpoints_(endpoints),
      tunnels_(tunnels),
      limits_(limits),
      principal_app_(std::move(principal_app)),
      credential_(std::move(credential)),
      slot_(std::move(slot)),
      hello_timer_(ws_.get_executor()),
      recheck_timer_(ws_.get_executor()) {}

ListenSession::~ListenSession() = default;

void ListenSession::Start(boost::beast::http::request<boost::beast::http::empty_body> req) {
  boost::beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = limits_.hello_timeout;
  timeouts.idle_timeout = limits_.ping_interval * 2;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  // A result frame carries at most 4 KiB of the answer, escaped: 64 KiB is ample.
  ws_.read_message_max(64 * 1024);
  ws_.text(true);
  ws_.async_accept(req, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) {
      self->Stop();
      return;
    }
    self->hello_timer_.expires_after(self->limits_.hello_timeout);
    self->hello_timer_.async_wait([self](const boost::system::error_code& e) {
      if (!e && self->endpoint_id_.empty() && !self->stopped_)
        self->Refuse("hello_timeout", "no hello frame arrived in time");
    });
    self->ScheduleRecheck();
    self->ReadNext();
  });
}

void ListenSession::ReadNext() {
  ws_.async_read(read_buffer_,
                 [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                   if (ec) {
                     self->Stop();
                     return;
                   }
                   std::string text = boost::beast::buffers_to_string(self->read_buffer_.data());
                   self->read_buffer_.consume(self->read_buffer_.size());
                   self->OnFrame(text);
                   if (!self->stopped_) self->ReadNext();
                 });
}

void ListenSession::OnFrame(const std::string& text) {
  if (closing_) return;
  auto frame = ParseListenClientFrame(text);
  if (!frame.ok()) {
    Refuse(frame.status().code(), frame.status().message());
    return;
  }
  using Type = ListenClientFrame::Type;
  if (endpoint_id_.empty()) {
    if (frame->type != Type::kHello) {
      Refuse("bad_frame", "the first frame is a hello");
      return;
    }
    OnHello(frame->hello);
    return;
  }
  switch (frame->type) {
    case Type::kHello:
      Refuse("bad_frame", "one hello per connection");
      return;
    case Type::kResult:
      OnResult(frame->result);
      return;
    case Type::kClose:
      OnGoodbye();
      return;
  }
}

void ListenSession::OnHello(const ListenHello& hello) {
  hello_timer_.cancel();
  auto opened = endpoints_.Open(hello, principal_app_);
  if (!opened.ok()) {
    Refuse(opened.status().code(), opened.status().message());
    return;
  }
  endpoint_id_ = opened->endpoint.id;
  max_concurrency_ = hello.max_concurrency;
  tunnels_.Attach(endpoint_id_, shared_from_this());
  Write(ListenReadyFrame(
      {opened->endpoint.id, opened->endpoint.app_id, opened->endpoint.secret, opened->resumed}));
}

void ListenSession::Deliver(OutboundRequest request, std::chrono::milliseconds deadline,
                            AsyncSender::Done done) {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this(), request = std::move(request),
                                         deadline, done = std::move(done)]() mutable {
    self->StartAttempt(std::move(request), deadline, std::move(done));
  });
}

void ListenSession::StartAttempt(OutboundRequest request, std::chrono::milliseconds deadline,
                                 AsyncSender::Done done) {
  if (stopped_ || closing_) {
    SendResult r;
    r.error = "the hookd listen connection closed";
    done(std::move(r));
    return;
  }
  const int64_t id = ++next_id_;
  Pending p;
  p.done = std::move(done);
  p.started = std::chrono::steady_clock::now();
  p.frame = ListenDeliveryFrame({id, std::move(request.headers), std::move(request.body)});
  p.timer = std::make_unique<boost::asio::steady_timer>(ws_.get_executor());
  p.timer->expires_after(deadline);
  p.timer->async_wait(
      [self = shared_from_this(), id, deadline](const boost::system::error_code& ec) {
        if (ec) return;
        // A frame still being written after a whole deadline: the command does not read. It is
        // dropped (every attempt out ends), rather than each attempt timing out in turn.
        if (self->writing_ && std::chrono::steady_clock::now() - self->write_started_ >= deadline) {
          self->Stop();
          return;
        }
        SendResult r;
        r.error = "hookd listen did not answer within " + std::to_string(deadline.count()) + " ms";
        r.duration_ms = deadline.count();
        self->Finish(id, std::move(r));
      });
  pending_.emplace(id, std::move(p));
  waiting_.push_back(id);
  SendWaiting();
}

void ListenSession::SendWaiting() {
  while (out_ < max_concurrency_ && !waiting_.empty()) {
    const int64_t id = waiting_.front();
    waiting_.pop_front();
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // timed out while waiting
    ++out_;
    it->second.started = std::chrono::steady_clock::now();
    Write(std::exchange(it->second.frame, std::string()));
  }
}

void ListenSession::OnResult(const ListenResult& result) {
  SendResult r;
  r.status = result.status;
  r.body = result.body;
  r.error = result.error;
  if (r.status == 0 && r.error.empty()) r.error = "no answer from the local URL";
  r.duration_ms = result.duration_ms;
  Finish(result.id, std::move(r));  // an unknown id (ended already) is ignored
}

void ListenSession::Finish(int64_t id, SendResult result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  p.timer->cancel();
  if (p.frame.empty()) --out_;  // it was sent
  p.done(std::move(result));
  SendWaiting();
}

void ListenSession::OnGoodbye() {
  closing_ = true;
  int64_t failed = static_cast<int64_t>(pending_.size());
  // Attempts out end now: the command stops forwarding.
  std::vector<int64_t> ids;
  for (const auto& [id, p] : pending_) ids.push_back(id);
  for (int64_t id : ids) {
    SendResult r;
    r.error = "hookd listen stopped before answering";
    Finish(id, std::move(r));
  }
  auto removed = endpoints_.Remove(endpoint_id_);
  if (removed.ok()) failed += *removed;
  tunnels_.Forget(endpoint_id_);
  Write(ListenClosedFrame(failed));
  CloseAfterWrites(websocket::close_reason(websocket::close_code::normal, "bye"));
}

void ListenSession::Write(std::string frame) {
  // A command that does not read: its attempts time out and free their slots, so frames would
  // queue here without end. Past the most that a reading command ever has queued, it is dropped.
  if (writes_.size() > 2 * static_cast<size_t>(kListenMaxConcurrency) + 8) {
    Stop();
    return;
  }
  writes_.push_back(std::move(frame));
  if (!writing_) WriteNext();
}

void ListenSession::WriteNext() {
  if (stopped_) return;
  if (writes_.empty()) {
    if (close_after_writes_) {
      writing_ = true;
      ws_.async_close(
          *close_after_writes_,
          [self = shared_from_this()](const boost::system::error_code&) { self->Stop(); });
    }
    return;
  }
  writing_ = true;
  write_started_ = std::chrono::steady_clock::now();
  ws_.async_write(boost::asio::buffer(writes_.front()),
                  [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                    self->writing_ = false;
                    self->writes_.pop_front();
                    if (ec) {
                      self->Stop();
                      return;
                    }
                    self->WriteNext();
                  });
}

void ListenSession::CloseAfterWrites(websocket::close_reason reason) {
  if (close_after_writes_) return;
  close_after_writes_ = std::move(reason);
  if (!writing_) WriteNext();
}

void ListenSession::Refuse(const std::string& code, const std::string& message) {
  if (closing_) return;
  closing_ = true;
  Write(ListenErrorFrame(code, message));
  CloseAfterWrites(websocket::close_reason(websocket::close_code::policy_error, code));
}

void ListenSession::ScheduleRecheck() {
  recheck_timer_.expires_after(limits_.credential_recheck);
  recheck_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stopped_) return;
    if (Status s = self->credential_(); !s.ok()) {
      self->Refuse("unauthorized", "the credential is no longer valid: " + s.message());
      return;
    }
    self->ScheduleRecheck();
  });
}

void ListenSession::Stop() {
  if (stopped_) return;
  stopped_ = true;
  closing_ = true;
  hello_timer_.cancel();
  recheck_timer_.cancel();
  if (!endpoint_id_.empty()) tunnels_.Detach(endpoint_id_, this);
  std::map<int64_t, Pending> left = std::move(pending_);
  pending_.clear();
  waiting_.clear();
  for (auto& [id, p] : left) {
    p.timer->cancel();
    SendResult r;
    r.error = "the hookd listen connection closed before an answer";
    p.done(std::move(r));
  }
  boost::system::error_code ignored;
  auto& socket = boost::beast::get_lowest_layer(ws_).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  slot_.reset();
}

}  // namespace hookd
