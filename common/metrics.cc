#include "common/metrics.h"

#include <iterator>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace hookd {

Metrics::Metrics(bool per_id)
    : per_id_(per_id), registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::BuildGauge()
      .Name("hookd_build_info")
      .Help("Always 1; the version of the running hookd as a label")
      .Register(*registry_)
      .Add({{"version", HOOKD_VERSION}})
      .Set(1);
  ingest_requests_ =
      &prometheus::BuildCounter()
           .Name("hookd_ingest_requests_total")
           .Help(per_id ? "Requests to /ingest by source, provider and result"
                        : "Requests to /ingest by provider and result (source=\"all\" "
                          "or \"unknown\"; HOOKD_METRICS_PER_ID=1 labels them by "
                          "source)")
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
  deliveries_failed_ = &prometheus::BuildCounter()
                            .Name("hookd_deliveries_failed_total")
                            .Help("Deliveries that ended failed for good")
                            .Register(*registry_)
                            .Add({});
  endpoint_failures_ = &prometheus::BuildCounter()
                            .Name("hookd_endpoint_failures_total")
                            .Help(per_id ? "Failed delivery attempts per endpoint"
                                         : "Failed delivery attempts (endpoint=\"all\"; "
                                           "HOOKD_METRICS_PER_ID=1 labels them by endpoint)")
                            .Register(*registry_);
  // Present from the start without per-id labels, so a rate() over it has a series.
  if (!per_id) endpoint_failures_->Add({{"endpoint", "all"}});
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
  for (const char* state : {"open", "half_open"}) endpoint_circuits_->Add({{"state", state}});
  delivery_local_failures_ = &prometheus::BuildCounter()
                                  .Name("hookd_delivery_local_failures_total")
                                  .Help(
                                      "Delivery attempts hookd could not make itself (out of "
                                      "file descriptors); retried, not counted as attempts")
                                  .Register(*registry_)
                                  .Add({});
  circuit_transitions_ = &prometheus::BuildCounter()
                              .Name("hookd_endpoint_circuit_transitions_total")
                              .Help("Circuit breaker changes by the state entered")
                              .Register(*registry_);
  for (const char* to : {"open", "half_open", "closed"}) circuit_transitions_->Add({{"to", to}});
  messages_batch_size_ =
      &prometheus::BuildHistogram()
           .Name("hookd_messages_batch_size")
           .Help("Messages committed per group-commit transaction of the messages API")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256});
  stream_clients_ = &prometheus::BuildGauge()
                         .Name("hookd_stream_clients")
                         .Help("Open status-stream clients by transport")
                         .Register(*registry_);
  // Present from the start, so a dashboard sees 0 rather than no series.
  for (const char* t : {"sse", "ws", "longpoll"}) stream_clients_->Add({{"transport", t}});
  stream_entries_sent_ = &prometheus::BuildCounter()
                              .Name("hookd_stream_entries_sent_total")
                              .Help("Status-log entries written to stream clients by transport")
                              .Register(*registry_);
  stream_clients_dropped_ = &prometheus::BuildCounter()
                                 .Name("hookd_stream_clients_dropped_total")
                                 .Help("Stream clients closed by the server, by reason")
                                 .Register(*registry_);
}

std::string Metrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& c : collectables_) {
    std::vector<prometheus::MetricFamily> more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  prometheus::TextSerializer serializer;
  return serializer.Serialize(families);
}

}  // namespace hookd
