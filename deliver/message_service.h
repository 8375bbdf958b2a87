// MessageService: publishing messages through the API (with Idempotency-Key, 24 h; a key reused
// with another request is refused) and reading messages and deliveries back. Publish group-commits:
// requests queue their messages and one writer thread (a BatchCommitter, common/batch_committer.h)
// commits everything queued in one transaction on its own connection, answering each request after
// the commit. Thread-safe; Start/Stop from one owner thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/batch_committer.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/random.h"
#include "common/shared_writer.h"
#include "deliver/endpoint_cache.h"
#include "deliver/fanout.h"
#include "deliver/list_queries.h"
#include "deliver/message_request.h"
#include "deliver/wake_reason.h"

namespace hookd {

class MessageService {
 public:
  using Done = std::function<void(Result<nlohmann::json>)>;
  // Called on the writer thread after every commit attempt with the batch size (for metrics).
  using BatchObserver = std::function<void(size_t batch_size, const Status& result)>;

  // `wake` tells the delivery engine what became due; `status_committed` that
  // status-log entries were committed (for the status streams).
  MessageService(DbPool& pool, EndpointCache& endpoints, const Clock& clock, Random& random,
                 std::function<void(WakeReason)> wake, BatchObserver observer = nullptr,
                 std::function<void()> status_committed = {})
      : pool_(pool),
        endpoints_(endpoints),
        clock_(clock),
        random_(random),
        wake_(std::move(wake)),
        observer_(std::move(observer)),
        status_committed_(std::move(status_committed)) {}
  ~MessageService();

  // Starts the writer's thread (needed by Publish only), writing through `writer` (not owned;
  // common/shared_writer.h), or through a connection of its own when null.
  Status Start(SharedWriter* writer = nullptr);
  // Commits and answers what Publish queued, then stops the writer. Idempotent.
  void Stop();

  // {"event_type", "payload", "source_id"?} → {"id", "event_type", "deliveries"}. The same
  // Idempotency-Key with the same request (event_type, payload, source_id) within 24 h returns
  // the first answer and creates nothing, also when the duplicates are committed in one batch;
  // with another request it is 422 idempotency_key_reused and creates nothing (a key stored
  // before requests were recorded answers the first answer to any request). `done` runs exactly
  // once: at once with a validation error (422) or 503 when not started or stopping, else on the
  // writer thread after the commit (503 unavailable when the batch's commit failed: nothing of it
  // was stored).
  // The message belongs to `app_id` and reaches only its endpoints; its Idempotency-Key is
  // looked up among that application's messages only.
  void Publish(const nlohmann::json& req, const std::optional<std::string>& idempotency_key,
               Done done, const std::string& app_id = kDefaultAppId);
  // The same, committed alone on a pool connection, on the caller's thread.
  Result<nlohmann::json> Create(const nlohmann::json& req,
                                const std::optional<std::string>& idempotency_key,
                                const std::string& app_id = kDefaultAppId);
  // A test message to one endpoint (API.md, "Applications (tenants)", the portal's "send a test
  // message"): {"event_type"? ("hookd.test"), "payload"? (a small sample)} → {"id",
  // "event_type", "deliveries": 1}, delivered to that endpoint alone whatever it subscribes to.
  // 404 for an unknown endpoint or one of another application than `app_id` (when given), 409
  // endpoint_disabled for a disabled one, 422 for a bad body. Committed alone, like Create.
  Result<nlohmann::json> SendTest(const std::string& endpoint_id, const nlohmann::json& req,
                                  const std::optional<std::string>& app_id = std::nullopt);
  // The message with its payload and one entry per delivery; 404 when missing.
  // With `app_id`, a message of another application is 404 too (so are GetDelivery's and
  // RetryDelivery's deliveries).
  Result<nlohmann::json> Get(const std::string& id,
                             const std::optional<std::string>& app_id = std::nullopt);
  // {"data", "next"}, newest first, matching every filter given.
  Result<nlohmann::json> List(const MessageFilter& filter, const std::optional<std::string>& after,
                              int limit);

  // {"data", "next"}, newest first; each delivery also names its message's event_type. 422 for
  // an unknown status.
  Result<nlohmann::json> ListDeliveries(const DeliveryFilter& filter,
                                        const std::optional<std::string>& after, int limit);
  // The delivery with all its attempts; 404 when missing.
  Result<nlohmann::json> GetDelivery(const std::string& id,
                                     const std::optional<std::string>& app_id = std::nullopt);
  // Queues one attempt of the delivery now. Its success makes it succeeded; its failure returns
  // it to where it was (a failed or succeeded delivery keeps its status, a retrying one its
  // place in the schedule; a pending one's attempt is its first). 409 endpoint_disabled when its
  // endpoint is disabled, circuit_open (with Retry-After) while the endpoint's circuit is open or
  // half-open, attempt_in_progress during an attempt; none of them changes anything.
  Result<nlohmann::json> RetryDelivery(const std::string& id,
                                       const std::optional<std::string>& app_id = std::nullopt);

 private:
  // The request as a message to insert (id, type, payload, key); 422 when invalid.
  Result<NewMessage> Prepare(const nlohmann::json& req, const std::optional<std::string>& key,
                             const std::string& app_id);
  // In one transaction of `db`: each message, or for a key seen within 24 h the first answer
  // (or the refusal of a reused key). Counts the deliveries made into `deliveries`.
  Result<std::vector<Result<nlohmann::json>>> CommitMessagesIn(Db& db,
                                                               std::vector<NewMessage>& batch,
                                                               int& deliveries);
  // CommitMessagesIn on the writer, then the notifications. `sync_wal`: the writer commits
  // without syncing (synchronous=NORMAL), so the WAL is synced after the commit, once the
  // connection is let go, before this returns.
  Result<std::vector<Result<nlohmann::json>>> CommitMessages(SharedWriter& writer,
                                                             std::vector<NewMessage>& batch,
                                                             bool sync_wal);
  // One message committed alone on a pool connection (synchronous as the operator set it).
  Result<nlohmann::json> CommitAlone(NewMessage m);
  // Tells the status streams and the engine what a commit made.
  void Committed(int deliveries);
  // One message of CommitMessages: appends its answer to `out`, counts its deliveries.
  Status CommitOne(Db& db, NewMessage& m, const EndpointSnapshot& endpoints, int64_t now,
                   std::vector<Result<nlohmann::json>>& out, int& deliveries);

  DbPool& pool_;
  EndpointCache& endpoints_;
  const Clock& clock_;
  Random& random_;
  std::function<void(WakeReason)> wake_;
  BatchObserver observer_;
  std::unique_ptr<SharedWriter> own_writer_;  // when Start was given none
  SharedWriter* writer_ = nullptr;            // the committer thread's connection
  // Each item's outcome is its answer or its own refusal (a reused key).
  std::unique_ptr<BatchCommitter<NewMessage, Result<nlohmann::json>>> committer_;
  std::function<void()> status_committed_;
};

}  // namespace hookd
