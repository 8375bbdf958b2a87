// Server: the one place that knows every module. It opens and migrates the database, loads the
// admin token, builds the stores, services and routes of the roles asked for, and serves them.
// Used by main.cc and by the integration tests (port 0, temp dir). Start/Stop from one thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/settings.h"
#include "common/admin_auth.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "common/result.h"
#include "deliver/async_sender.h"
#include "ingest/event_store.h"

namespace hookd {

class Server {
 public:
  // Opens <data-dir>/hookd.db (creating the directory), applies migrations and loads the admin
  // token. Fails with a clear Status on a database newer than this binary, an unwritable dir or
  // one that other users can write to (common/data_dir.h).
  // `event_store` replaces the SQLite event store when given (tests inject faults through it);
  // `sender` replaces the outbound HTTP client the same way. What the server does is logged to
  // `logger` (which must outlive it).
  static Result<std::unique_ptr<Server>> Create(const Settings& settings, const Clock& clock,
                                                Random& random,
                                                std::unique_ptr<EventStore> event_store = nullptr,
                                                std::unique_ptr<AsyncSender> sender = nullptr,
                                                const Logger& logger = Logger::Discard());
  ~Server();

  Status Start();
  // Answers what is already queued for commit, then stops serving. Idempotent.
  void Stop();

  uint16_t port() const;
  std::string base_url() const;
  // The stream listener's URL ("http://host:port"), empty when this process serves no streams.
  std::string stream_base_url() const;
  const AdminAuth& auth() const;
  // The main listener's routes (method, pattern) of the roles this process serves.
  std::vector<std::pair<std::string, std::string>> routes() const;
  // Makes the delivery engine look for due work now. Commits wake it already; this is for an
  // injected clock that a test moved forward. No-op without the deliver role.
  void WakeDelivery();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd
