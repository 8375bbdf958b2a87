// A scripted Resolver for tests: each host answers the addresses it was given, or does not
// resolve. Counts its calls. Safe to call from several threads (the senders resolve on theirs).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "deliver/ip_address.h"
#include "deliver/ssrf_guard.h"

namespace hookd::testing {

class FakeResolver final : public Resolver {
 public:
  // host -> the address literals it resolves to.
  using Answers = std::map<std::string, std::vector<std::string>>;

  // "localhost" and "127.0.0.1" resolve to 127.0.0.1, as the in-process receivers need.
  static Answers Loopback() { return {{"localhost", {"127.0.0.1"}}, {"127.0.0.1", {"127.0.0.1"}}}; }

  explicit FakeResolver(const Answers& answers = {}) {
    for (const auto& [host, ips] : answers) Answer(host, ips);
  }

  // From now on `host` resolves to `ips`; an empty list is an answer with no addresses.
  void Answer(const std::string& host, const std::vector<std::string>& ips) {
    std::vector<IpAddress> out;
    for (const std::string& ip : ips) {
      std::optional<IpAddress> addr = ParseIpLiteral(ip);
      if (!addr) throw std::invalid_argument("FakeResolver: not an address literal: " + ip);
      out.push_back(*addr);
    }
    std::lock_guard<std::mutex> lock(mu_);
    answers_[host] = std::move(out);
  }

  Result<std::vector<IpAddress>> Resolve(const std::string& host) override {
    ++calls;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = answers_.find(host);
    if (it == answers_.end())
      return Status(ErrorKind::kInvalidField, "unresolvable_host", host + ": no such host");
    return it->second;
  }

  std::atomic<int> calls{0};

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<IpAddress>> answers_;  // guarded by mu_
};

}  // namespace hookd::testing
