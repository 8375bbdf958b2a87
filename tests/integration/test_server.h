// A hookd Server on 127.0.0.1 port 0 with a real SQLite file in a fresh temp dir, and an HTTP
// client (cpp-httplib) for it. For integration tests only.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/server.h"
#include "common/clock.h"
#include "common/random.h"
#include "ingest/event_store.h"
#include "tests/testing/temp_dir.h"

namespace hookd::testing {

class TestServer {
 public:
  // Serves from `data_dir`, or from a temp dir of its own (removed afterwards) when empty. The
  // admin token is settings.admin_token, "test-token" when that is empty. `clock` replaces the
  // system clock (a FakeClock that the test moves, then calls WakeDelivery()). What the server
  // logs goes to `logger` (nowhere by default).
  explicit TestServer(std::string data_dir = "", std::unique_ptr<EventStore> events = nullptr,
                      Settings settings = {}, const Clock* clock = nullptr,
                      const Logger& logger = Logger::Discard())
      : own_dir_(data_dir.empty() ? std::make_unique<TempDir>() : nullptr),
        data_dir_(own_dir_ ? own_dir_->path() : std::move(data_dir)) {
    settings.listen = {"127.0.0.1", 0};
    settings.stream_listen = {"127.0.0.1", 0};
    settings.data_dir = data_dir_;
    if (settings.admin_token.empty()) settings.admin_token = "test-token";
    auto server = Server::Create(settings, clock ? *clock : system_clock_, random_,
                                 std::move(events), nullptr, logger);
    if (!server.ok()) throw std::runtime_error(server.status().ToString());
    server_ = std::move(server).value();
    Status s = server_->Start();
    if (!s.ok()) throw std::runtime_error(s.ToString());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  ~TestServer() {
    client_.reset();
    server_.reset();
  }
  void Stop() { server_->Stop(); }

  httplib::Client& client() { return *client_; }
  const std::string& data_dir() const { return data_dir_; }
  Server& server() { return *server_; }

  httplib::Headers Admin() const { return {{"Authorization", "Bearer test-token"}}; }
  httplib::Result Post(const std::string& path, const nlohmann::json& body) {
    return client_->Post(path, Admin(), body.dump(), "application/json");
  }
  httplib::Result Get(const std::string& path) { return client_->Get(path, Admin()); }
  // The JSON body of GET `path`; null unless it answered 200 with JSON.
  nlohmann::json GetJson(const std::string& path) {
    auto r = Get(path);
    if (!r || r->status != 200) return nlohmann::json();
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // Creates a source and returns its JSON.
  nlohmann::json CreateSource(const std::string& provider, const std::string& secret) {
    auto r =
        Post("/api/v1/sources", {{"name", "test"}, {"provider", provider}, {"secret", secret}});
    if (!r || r->status != 201) throw std::runtime_error("create source failed");
    return nlohmann::json::parse(r->body);
  }
  // Creates an endpoint from `body` and returns its JSON; throws unless it answered 201.
  nlohmann::json CreateEndpoint(const nlohmann::json& body) {
    return Created("/api/v1/endpoints", body, 201, "create endpoint");
  }
  // Publishes a message and returns its JSON; throws unless it answered 202.
  nlohmann::json PostMessage(const std::string& event_type, const nlohmann::json& payload) {
    return Created("/api/v1/messages", {{"event_type", event_type}, {"payload", payload}}, 202,
                   "post message");
  }

 private:
  nlohmann::json Created(const std::string& path, const nlohmann::json& body, int status,
                         const std::string& what) {
    auto r = Post(path, body);
    if (!r) throw std::runtime_error(what + ": no response");
    if (r->status != status) throw std::runtime_error(what + ": " + r->body);
    return nlohmann::json::parse(r->body);
  }

  std::unique_ptr<TempDir> own_dir_;
  std::string data_dir_;
  SystemClock system_clock_;
  SecureRandom random_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace hookd::testing
