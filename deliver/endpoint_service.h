// EndpointService: creating, changing, rotating, enabling and recovering endpoints, with the
// validation API.md asks for (422 naming the field, 422 forbidden_target from the SSRF guard).
// Requests are JSON objects parsed by the edge. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/random.h"
#include "deliver/endpoint_cache.h"
#include "deliver/endpoint_store.h"
#include "deliver/ssrf_guard.h"

namespace hookd {

// Something about an accepted request the caller should know: the answer's `warnings` array.
struct EndpointWarning {
  std::string code;  // unresolvable_host
  std::string message;
};

class EndpointService {
 public:
  // `wake` tells the delivery engine that deliveries became due (recover); `status_committed`
  // that a change appended to the status log was committed (for the status streams).
  // Enabling and disabling by hand are logged to `logger`.
  EndpointService(EndpointStore& store, EndpointCache& cache, SsrfGuard& guard, DbPool& pool,
                  const Clock& clock, Random& random, std::function<void()> wake = nullptr,
                  std::function<void()> status_committed = {},
                  const Logger& logger = Logger::Discard())
      : store_(store),
        cache_(cache),
        guard_(guard),
        pool_(pool),
        clock_(clock),
        random_(random),
        wake_(std::move(wake)),
        status_committed_(std::move(status_committed)),
        logger_(logger) {}

  // {"url", "description"?, "event_types"?, "source_ids"?, "secret"?, "rate_limit_per_second"?,
  //  "headers"?, "forward_headers"?}. A url whose host does not resolve now is accepted (every
  // attempt resolves and checks it again) with an unresolvable_host warning in `warnings`; one
  // that resolves to a forbidden address is 422 forbidden_target.
  // The endpoint belongs to `app_id` for good.
  Result<Endpoint> Create(const nlohmann::json& req,
                          std::vector<EndpointWarning>* warnings = nullptr,
                          const std::string& app_id = kDefaultAppId);
  // The temporary endpoint of a `hookd listen` (kind "cli"): {"url" (where the command forwards,
  // on its own machine: parsed, not checked against the SSRF rules, never dialled by hookd),
  // "event_types"?, "source_ids"?, "description"?}.
  Result<Endpoint> CreateCli(const nlohmann::json& req, const std::string& app_id);
  // Any of Create's fields but "secret"; `warnings` as Create's.
  Result<Endpoint> Update(const std::string& id, const nlohmann::json& req,
                          std::vector<EndpointWarning>* warnings = nullptr);
  // {"secret"?, "grace_seconds"? (86400)}: both secrets sign during the grace.
  Result<Endpoint> RotateSecret(const std::string& id, const nlohmann::json& req);
  // Re-enables a disabled endpoint and appends `endpoint.enabled`.
  Result<Endpoint> Enable(const std::string& id);
  // Disables an endpoint by hand, as a 410 or too long failing would: new messages skip it and
  // its queued deliveries end failed without an attempt (re-queue them with Recover after
  // Enable). Appends `endpoint.disabled` with `reason`; a disabled endpoint is left as it is.
  Result<Endpoint> Disable(const std::string& id, const std::string& reason);
  // {"since": RFC 3339}: queues one attempt of each of the endpoint's failed deliveries created
  // since then (due now, and the engine is woken; each stays failed unless its attempt succeeds,
  // and waits while the endpoint's circuit is open); returns how many. 409 endpoint_disabled,
  // re-queuing nothing, when the endpoint is disabled.
  Result<int64_t> Recover(const std::string& id, const nlohmann::json& req);
  Status Delete(const std::string& id);
  // The endpoints changed behind the service's back (a writer in the same database): reload.
  void Invalidate() { cache_.Invalidate(); }
  Result<Endpoint> Get(const std::string& id) { return store_.Get(id); }
  // Newest first; only the application's when `app_id` is given.
  Result<std::vector<Endpoint>> List(const std::optional<std::string>& after, int limit,
                                     const std::optional<std::string>& app_id = std::nullopt) {
    return store_.List(after, limit, app_id);
  }

 private:
  // Applies the mutable fields present in `req` to `e`, adding to `warnings`.
  Status Apply(const nlohmann::json& req, Endpoint& e, std::vector<EndpointWarning>& warnings);

  EndpointStore& store_;
  EndpointCache& cache_;
  SsrfGuard& guard_;
  DbPool& pool_;
  const Clock& clock_;
  Random& random_;
  std::function<void()> wake_;
  std::function<void()> status_committed_;
  const Logger& logger_;
};

}  // namespace hookd
