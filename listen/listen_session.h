// ListenSession: one `hookd listen` command on GET /api/v1/listen (a WebSocket on the stream
// listener; frames in common/listen_protocol.h). After the command's hello it serves the cli
// endpoint ListenEndpoints opened: the delivery engine's attempts for it arrive through
// CliTunnels as Deliver calls, go down the socket as delivery frames (at most the command's
// max_concurrency at a time, the rest waiting here), and the command's result frames come back as
// the attempts' results. An attempt not answered by its deadline ends as a timeout; attempts still
// out when the socket goes end as failed attempts (retried as any). A goodbye removes the
// endpoint; a socket gone leaves it detached for ListenEndpoints' grace, for the command to
// reconnect and resume. A command that stops reading (a frame still unwritten after a whole
// attempt deadline) is dropped. The credential is checked again every credential_recheck.
//
// Thread-safety: Deliver may be called from any thread; everything else runs on the
// connection's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "listen/cli_tunnels.h"
#include "listen/listen_endpoints.h"

namespace hookd {

struct ListenLimits {
  std::chrono::milliseconds hello_timeout{10000};  // for the handshake and the hello frame
  std::chrono::milliseconds ping_interval{15000};
  std::chrono::milliseconds credential_recheck{750};
};

class ListenSession final : public CliTunnel, public std::enable_shared_from_this<ListenSession> {
 public:
  using CredentialCheck = std::function<Status()>;
  static std::shared_ptr<ListenSession> Create(boost::beast::tcp_stream stream,
                                               ListenEndpoints& endpoints, CliTunnels& tunnels,
                                               ListenLimits limits,
                                               std::optional<std::string> principal_app,
                                               CredentialCheck credential,
                                               std::shared_ptr<void> slot);
  ~ListenSession() override;

  // Answers the upgrade `req`. Call on the stream's strand.
  void Start(boost::beast::http::request<boost::beast::http::empty_body> req);
  void Deliver(OutboundRequest request, std::chrono::milliseconds deadline,
               AsyncSender::Done done) override;

 private:
  struct Pending {
    AsyncSender::Done done;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::string frame;  // empty once sent
    std::chrono::steady_clock::time_point started;
  };
  ListenSession(boost::beast::tcp_stream stream, ListenEndpoints& endpoints, CliTunnels& tunnels,
                ListenLimits limits, std::optional<std::string> principal_app,
                CredentialCheck credential, std::shared_ptr<void> slot);
  void ReadNext();
  void OnFrame(const std::string& text);
  void OnHello(const ListenHello& hello);
  void OnResult(const ListenResult& result);
  void OnGoodbye();
  void StartAttempt(OutboundRequest request, std::chrono::milliseconds deadline,
                    AsyncSender::Done done);
  void SendWaiting();
  // Ends attempt `id` with `result` (a no-op when it already ended).
  void Finish(int64_t id, SendResult result);
  void Write(std::string frame);
  void WriteNext();
  void ScheduleRecheck();
  // Sends an error frame, then closes with `code`.
  void Refuse(const std::string& code, const std::string& message);
  void CloseAfterWrites(boost::beast::websocket::close_reason reason);
  // The socket is gone: every attempt out ends failed, the endpoint is detached.
  void Stop();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  ListenEndpoints& endpoints_;
  CliTunnels& tunnels_;
  const ListenLimits limits_;
  const std::optional<std::string> principal_app_;
  CredentialCheck credential_;
  std::shared_ptr<void> slot_;
  boost::asio::steady_timer hello_timer_;
  boost::asio::steady_timer recheck_timer_;
  boost::beast::flat_buffer read_buffer_;
  std::deque<std::string> writes_;
  bool writing_ = false;
  std::chrono::steady_clock::time_point write_started_;  // of the write under way
  std::optional<boost::beast::websocket::close_reason> close_after_writes_;
  std::string endpoint_id_;  // set by the hello
  int max_concurrency_ = 1;
  int64_t next_id_ = 0;
  int out_ = 0;  // delivery frames sent and not yet answered
  std::map<int64_t, Pending> pending_;
  std::deque<int64_t> waiting_;  // not yet sent (max_concurrency reached)
  bool stopped_ = false;
  bool closing_ = false;
};

}  // namespace hookd
