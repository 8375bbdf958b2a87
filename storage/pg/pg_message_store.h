// Publishing messages on PostgreSQL, over a PgPool: what MessageService's CommitMessagesIn does on
// SQLite (deliver/message_service.h), for a batch of prepared messages (deliver/message_request.h)
// in one transaction ending in CommitWithStatus: each message, its deliveries to the endpoints of
// its application that subscribe to it (deliver/fanout.h's matching, over the snapshot the caller
// passes), its event type counted, its `message.created` entry; or, for an Idempotency-Key already
// used, the stored answer or the refusal of a reused key (docs/DECISIONS.md, "PostgreSQL:
// messages"). The reads are PgMessageReads (pg_message_reads.h). Thread-safe as its Random is.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "deliver/endpoint_cache.h"
#include "deliver/fanout.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgMessageStore {
 public:
  PgMessageStore(PgPool& pool, const Clock& clock, Random& random)
      : pool_(pool), clock_(clock), random_(random) {}

  // The outcome of each message of `batch`, in its order: its answer ({"id", "event_type",
  // "deliveries"}), the first answer of its Idempotency-Key (also for a duplicate earlier in the
  // batch), 422 idempotency_key_reused, or 404 "no application <id>" when its application is
  // unknown or deleted; an item refused writes nothing. Adds the deliveries made to
  // `deliveries`. An error of the whole batch (the database's) means nothing of it was stored.
  // Each message's created_at and response are set here. A transaction that loses a race is run
  // again (storage/pg/pg_retry.h).
  Result<std::vector<Result<nlohmann::json>>> Commit(std::vector<NewMessage>& batch,
                                                     const EndpointSnapshot& endpoints,
                                                     int& deliveries);

 private:
  Result<std::vector<Result<nlohmann::json>>> CommitOnce(std::vector<NewMessage>& batch,
                                                         const EndpointSnapshot& endpoints,
                                                         int& deliveries);

  PgPool& pool_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace hookd
