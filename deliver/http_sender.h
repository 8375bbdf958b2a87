// HttpSender: the Sender that POSTs over HTTP(S) with cpp-httplib (the only user of it).
//
// Per attempt: the host is resolved and checked by SsrfGuard::AddressToDial and the client
// connects to exactly that address (the Host header and TLS SNI/verification keep the URL's
// host). Redirects are never followed. TLS is verified against the system CA store.
//
// The deadline is total: connect, read and write timeouts come from the time left, and a
// watchdog thread shuts the socket down when the deadline passes, so a receiver that trickles
// headers or body bytes is cut at the deadline. At most 64 KiB of the response body is read
// (the first 4 KiB are kept); a longer body ends the read early and the response counts as
// received with its status, on a connection that is not reused.
//
// Keep-alive connections are pooled per origin (scheme, host, port), shared by the endpoints on
// it: a few idle clients per origin, taken out for an attempt and put back afterwards; a client
// whose attempt failed, whose peer closed it, or that sat idle too long is dropped. A pooled
// connection is only reused when it is connected to the address the guard returns for this attempt.
//
// Thread-safe. Writes to a connection the peer closed can raise SIGPIPE: the process ignores
// SIGPIPE (app/main.cc).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "deliver/sender.h"
#include "deliver/ssrf_guard.h"

namespace httplib {
class ClientImpl;
}

namespace hookd {

class HttpSender final : public Sender {
 public:
  // Response body bytes read at most, and kept in SendResult::body.
  static constexpr size_t kMaxBodyRead = 64 * 1024;
  static constexpr size_t kMaxBodyKept = 4 * 1024;
  // Idle keep-alive clients kept per origin (by default; at least the attempts made at once to
  // one origin, or concurrent attempts close and reopen connections) and in all, and for how
  // long.
  static constexpr size_t kDefaultMaxIdlePerOrigin = 8;
  static constexpr size_t kMaxIdleTotal = 256;
  static constexpr std::chrono::seconds kMaxIdleAge{30};

  // `guard` must outlive the sender.
  HttpSender(SsrfGuard& guard, const std::string& user_agent,
             size_t max_idle_per_origin = kDefaultMaxIdlePerOrigin);
  ~HttpSender() override;

  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  SendResult Send(const OutboundRequest& request, std::chrono::milliseconds deadline) override;

  // Idle pooled connections right now (for tests and metrics).
  size_t IdleConnections() const;

 private:
  class Watchdog;
  using SteadyTime = std::chrono::steady_clock::time_point;

  struct IdleClient {
    std::string key;      // scheme, host, port
    std::string address;  // the address it is connected to
    std::unique_ptr<httplib::ClientImpl> client;
    SteadyTime idle_since;
  };

  // A live pooled client for `key` connected to `address`, or null.
  std::unique_ptr<httplib::ClientImpl> TakeIdle(const std::string& key, const std::string& address);
  void PutIdle(const std::string& key, const std::string& address,
               std::unique_ptr<httplib::ClientImpl> client);
  // Under pool_mu_: removes the entry, moving its client into `dropped` (closed outside the lock).
  void EvictLocked(std::list<IdleClient>::iterator it,
                   std::vector<std::unique_ptr<httplib::ClientImpl>>& dropped);

  SsrfGuard& guard_;
  const std::string user_agent_;
  const bool have_ca_bundle_;
  const size_t max_idle_per_origin_;

  mutable std::mutex pool_mu_;
  std::list<IdleClient> idle_;  // oldest first
  std::unordered_map<std::string, std::vector<std::list<IdleClient>::iterator>> idle_by_key_;

  std::unique_ptr<Watchdog> watchdog_;
};

}  // namespace hookd
