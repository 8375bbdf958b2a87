#include "common/metrics.h"

#include <prometheus/text_serializer.h>

namespace hookd {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  ingest_requests_ = &prometheus::BuildCounter()
                          .Name("hookd_ingest_requests_total")
                          .Help("Requests to /ingest by source, provider and result")
                          .Register(*registry_);
  ingest_duration_ =
      &prometheus::BuildHistogram()
           .Name("hookd_ingest_duration_seconds")
           .Help("Time from an ingest request's arrival to its answer")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                            0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
  ingest_batch_size_ =
      &prometheus::BuildHistogram()
           .Name("hookd_ingest_batch_size")
           .Help("Events committed per group-commit transaction")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256});
  delivery_attempts_ = &prometheus::BuildCounter()
                            .Name("hookd_delivery_attempts_total")
                            .Help("Outbound delivery attempts by result")
                            .Register(*registry_);
  delivery_duration_ =
      &prometheus::BuildHistogram()
           .Name("hookd_delivery_duration_seconds")
           .Help("Duration of one outbound delivery attempt")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10, 30});
  deliveries_pending_ = &prometheus::BuildGauge()
                             .Name("hookd_deliveries_pending")
                             .Help("Deliveries waiting for an attempt or in one")
                             .Register(*registry_)
                             .Add({});
  endpoint_failures_ = &prometheus::BuildCounter()
                            .Name("hookd_endpoint_failures_total")
                            .Help("Failed delivery attempts per endpoint")
                            .Register(*registry_);
  retention_pruned_ = &prometheus::BuildCounter()
                           .Name("hookd_retention_pruned_rows_total")
                           .Help("Rows deleted by retention, by table")
                           .Register(*registry_);
  retention_transaction_ =
      &prometheus::BuildHistogram()
           .Name("hookd_retention_transaction_seconds")
           .Help("Time one retention transaction held the database's write lock")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                            0.025, 0.05, 0.1, 0.25});
  endpoint_circuits_ = &prometheus::BuildGauge()
                            .Name("hookd_endpoint_circuits")
                            .Help("Endpoints whose circuit breaker is open or half-open")
                            .Register(*registry_);
  circuit_transitions_ = &prometheus::BuildCounter()
                              .Name("hookd_endpoint_circuit_transitions_total")
                              .Help("Circuit breaker changes by the state entered")
                              .Register(*registry_);
  messages_batch_size_ =
      &prometheus::BuildHistogram()
           .Name("hookd_messages_batch_size")
           .Help("Messages committed per group-commit transaction of the messages API")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256});
}

std::string Metrics::Serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace hookd
