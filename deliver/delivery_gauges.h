// DeliveryGauges: the delivery figures /metrics reads from the database at every scrape, so
// they are the database's truth whichever process (--roles) answers, and cost nothing per
// delivery:
//   hookd_oldest_due_delivery_age_seconds  how long the oldest delivery that is due and not
//       started has been due (0 when none). Deliveries of disabled endpoints (they end
//       unattempted) and of endpoints whose circuit is open (paused; see hookd_circuits_open)
//       are not counted.
//   hookd_endpoints_disabled               endpoints disabled (by hand, 410 Gone, failing)
//   hookd_circuits_open                    endpoints whose circuit breaker is open
// Every query is an index walk: one seek per endpoint with waiting deliveries, and partial
// indexes (migrations/0014) for the counts. A scrape whose queries fail leaves them out.
// Thread-safe (a pooled connection per scrape).
#pragma once

#include <cstdint>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/result.h"

namespace hookd {

struct DeliveryGaugeValues {
  double oldest_due_age_seconds = 0;
  int64_t endpoints_disabled = 0;
  int64_t circuits_open = 0;
};

// The figures at `now_ms` (unix ms) on `db`.
Result<DeliveryGaugeValues> ReadDeliveryGauges(Db& db, int64_t now_ms);

class DeliveryGauges : public prometheus::Collectable {
 public:
  DeliveryGauges(DbPool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  DbPool& pool_;
  const Clock& clock_;
};

}  // namespace hookd
