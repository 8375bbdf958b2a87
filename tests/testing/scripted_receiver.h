// A webhook receiver for delivery tests: an httplib::Server on 127.0.0.1 port 0 whose paths
// answer a script of replies, in order, and that records every request with its arrival time
// and how many were open at once. For tests only.
#pragma once

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hookd::testing {

// One scripted answer.
struct Reply {
  int status = 200;
  std::string body = "ok";
  httplib::Headers headers;
  // Wait this long before answering; cut short by ReleaseHeld() and when the receiver stops.
  std::chrono::milliseconds hang{0};
};

// One request as the receiver saw it.
struct Received {
  std::string path;
  httplib::Headers headers;
  std::string body;
  std::chrono::steady_clock::time_point at;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);  // httplib::Headers compares names case-insensitively
    return it == headers.end() ? std::string() : it->second;
  }
};

// Each path answers its script in order, repeating the last reply; an unscripted path answers
// 200 "ok". Every POST is recorded. Up to 32 requests are served at once.
class ScriptedReceiver {
 public:
  ScriptedReceiver() {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_timeout(1);
    server_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Reply reply = Record(req);
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (reply.hang.count() > 0)
          released_cv_.wait_for(lock, reply.hang, [this] { return released_; });
        --open_;
      }
      res.status = reply.status;
      for (const auto& [name, value] : reply.headers) res.set_header(name, value);
      res.set_content(reply.body, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("receiver: bind failed");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ScriptedReceiver() {
    ReleaseHeld();
    server_.stop();
    thread_.join();
  }
  ScriptedReceiver(const ScriptedReceiver&) = delete;
  ScriptedReceiver& operator=(const ScriptedReceiver&) = delete;

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Replaces the script of `path` and starts it from its first reply.
  void Script(const std::string& path, std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    scripts_[path] = {std::move(replies), 0};
  }

  // Answers every request that is hanging now at once, and from now on does not hang.
  void ReleaseHeld() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

  std::vector<Received> Requests(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Received> out;
    for (const Received& r : received_)
      if (r.path == path) out.push_back(r);
    return out;
  }
  size_t Count(const std::string& path) const { return Requests(path).size(); }
  size_t Total() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }
  // The most requests that were being answered at the same time.
  int MaxOpen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_open_;
  }

 private:
  struct PathScript {
    std::vector<Reply> replies;
    size_t next = 0;
  };

  Reply Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    received_.push_back({req.path, req.headers, req.body, std::chrono::steady_clock::now()});
    max_open_ = std::max(max_open_, ++open_);
    auto it = scripts_.find(req.path);
    if (it == scripts_.end() || it->second.replies.empty()) return Reply{};
    PathScript& s = it->second;
    const Reply& r = s.replies[std::min(s.next, s.replies.size() - 1)];
    ++s.next;
    return r;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable released_cv_;
  bool released_ = false;                      // guarded by mu_
  int open_ = 0;                               // guarded by mu_
  int max_open_ = 0;                           // guarded by mu_
  std::map<std::string, PathScript> scripts_;  // guarded by mu_
  std::vector<Received> received_;             // guarded by mu_
};

}  // namespace hookd::testing
