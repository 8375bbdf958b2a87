#include "deliver/delivery_gauges.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <string>

#include "deliver/waiting_endpoints_sql.h"

namespace hookd {
namespace {

// Per endpoint with waiting deliveries (deliver/waiting_endpoints_sql.h), the first waiting
// delivery in due order that no attempt holds (no lease, or an expired one) is that endpoint's
// oldest due candidate.
const std::string& OldestDueSql() {
  static const std::string sql =
      std::string(kWaitingEndpoints) +
      " SELECT MIN((SELECT d.next_attempt_at FROM deliveries d"
      "  WHERE d.endpoint_id = ep.id AND d.next_attempt_at IS NOT NULL"
      "   AND (d.lease_until IS NULL OR d.lease_until <= ?1)"
      "  ORDER BY d.next_attempt_at LIMIT 1))"
      " FROM ep JOIN endpoints e ON e.id = ep.id"
      " WHERE ep.id IS NOT NULL AND e.disabled = 0 AND e.circuit <> 'open'";
  return sql;
}

Result<int64_t> Count(Db& db, const char* sql) {
  auto st = db.Cached(sql);
  if (!st.ok()) return st.status();
  auto row = (*st)->Step();
  if (!row.ok()) {
    (*st)->Reset();
    return row.status();
  }
  const int64_t n = *row ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return n;
}

prometheus::MetricFamily Gauge(const char* name, const char* help, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric m;
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

Result<DeliveryGaugeValues> ReadDeliveryGauges(Db& db, int64_t now_ms) {
  DeliveryGaugeValues v;
  {
    auto st = db.Cached(OldestDueSql());
    if (!st.ok()) return st.status();
    auto row = (*st)->Bind(1, now_ms).Step();
    if (!row.ok()) {
      (*st)->Reset();
      return row.status();
    }
    if (*row && !(*st)->IsNull(0)) {
      const int64_t due = (*st)->Int(0);
      if (due < now_ms) v.oldest_due_age_seconds = static_cast<double>(now_ms - due) / 1000.0;
    }
    (*st)->Reset();
  }
  auto disabled = Count(db, "SELECT COUNT(*) FROM endpoints WHERE disabled <> 0");
  if (!disabled.ok()) return disabled.status();
  v.endpoints_disabled = *disabled;
  auto open = Count(db, "SELECT COUNT(*) FROM endpoints WHERE circuit = 'open'");
  if (!open.ok()) return open.status();
  v.circuits_open = *open;
  return v;
}

std::vector<prometheus::MetricFamily> DeliveryGauges::Collect() const {
  auto db = pool_.Acquire();
  if (!db.ok()) return {};
  auto v = ReadDeliveryGauges(**db, clock_.NowUnixMillis());
  if (!v.ok()) return {};
  return {
      Gauge("hookd_oldest_due_delivery_age_seconds",
            "How long the oldest delivery that is due and not started has been due (0: none)",
            v->oldest_due_age_seconds),
      Gauge("hookd_endpoints_disabled", "Endpoints disabled",
            static_cast<double>(v->endpoints_disabled)),
      Gauge("hookd_circuits_open", "Endpoints whose circuit breaker is open",
            static_cast<double>(v->circuits_open)),
  };
}

}  // namespace hookd
