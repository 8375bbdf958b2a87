// ListenEndpoints: the temporary endpoints (kind "cli") of `hookd listen` (API.md, "The command
// line"): opened for a command's hello (or resumed by a command that reconnects), removed when
// the command says goodbye, and reaped when no command has served one for `grace` (a minute:
// the socket gone for good, or hookd restarted without it). Removing one makes its waiting
// deliveries due at once, so they end failed ("endpoint deleted") in the dashboard and the
// stream instead of waiting out their retries; nothing is dropped silently.
//
// Thread-safety: thread-safe (the store, the service and the registry are).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "apps/application_repository.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/listen_protocol.h"
#include "common/log.h"
#include "deliver/endpoint_service.h"
#include "listen/cli_tunnels.h"

namespace hookd {

struct ListenOpened {
  Endpoint endpoint;
  bool resumed = false;
};

class ListenEndpoints {
 public:
  // `wake`: deliveries became due (a removal).
  ListenEndpoints(EndpointService& endpoints, ApplicationRepository& apps, CliTunnels& tunnels,
                  DbPool& pool, const Clock& clock, std::chrono::milliseconds grace,
                  std::function<void()> wake, const Logger& logger)
      : endpoints_(endpoints),
        apps_(apps),
        tunnels_(tunnels),
        pool_(pool),
        clock_(clock),
        grace_(grace),
        wake_(std::move(wake)),
        logger_(logger) {}

  // The endpoint for `hello` from a caller who may reach `principal_app` only (nullopt: the
  // admin, any application). Resumes hello.endpoint_id when it is still a cli endpoint of the
  // same application; otherwise makes a new one. 403 for another application's `app`, 404 for
  // an unknown one, 422 for a bad forward_to or filter.
  Result<ListenOpened> Open(const ListenHello& hello,
                            const std::optional<std::string>& principal_app);
  // Deletes the endpoint and makes its waiting deliveries due now; returns how many waited.
  Result<int64_t> Remove(const std::string& endpoint_id);
  // Every cli endpoint in the database that no command serves yet counts as detached from now
  // (after a restart their commands have a grace to come back). Call once at start-up.
  Status NoteExisting();
  // Removes the endpoints detached for longer than the grace.
  void Reap();
  // Reap every `every` on a thread of its own, until StopReaping (idempotent; also on
  // destruction).
  void StartReaping(std::chrono::milliseconds every);
  void StopReaping();
  ~ListenEndpoints() { StopReaping(); }
  std::chrono::milliseconds grace() const { return grace_; }

 private:
  EndpointService& endpoints_;
  ApplicationRepository& apps_;
  CliTunnels& tunnels_;
  DbPool& pool_;
  const Clock& clock_;
  const std::chrono::milliseconds grace_;
  std::function<void()> wake_;
  const Logger& logger_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread reaper_;
};

}  // namespace hookd
