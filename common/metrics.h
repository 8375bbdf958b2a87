// Metrics: hookd's prometheus-cpp registry and the metric families every slice uses, served as
// Prometheus text on hookd's own port (GET /metrics). Families are created once here; callers
// keep the label handles (Counter&, Histogram&) they get back and never look them up per
// request. prometheus-cpp metrics are thread-safe.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace hookd {

class Metrics {
 public:
  Metrics();
  // The registry in Prometheus text exposition format.
  std::string Serialize() const;

  prometheus::Registry& registry() { return *registry_; }
  // hookd_ingest_requests_total{source, provider, result}
  prometheus::Family<prometheus::Counter>& ingest_requests() { return *ingest_requests_; }
  // hookd_ingest_duration_seconds: request arrival to answer, accepted events included.
  prometheus::Histogram& ingest_duration() { return *ingest_duration_; }
  // hookd_ingest_batch_size: events per group commit.
  prometheus::Histogram& ingest_batch_size() { return *ingest_batch_size_; }
  // hookd_delivery_attempts_total{result}: result is "success", "failure" (a non-2xx answer) or
  // "error" (no answer: timeout, refused, SSRF refusal).
  prometheus::Family<prometheus::Counter>& delivery_attempts() { return *delivery_attempts_; }
  // hookd_delivery_local_failures_total: attempts hookd could not make itself (out of file
  // descriptors); not attempts, not counted against the endpoint, retried shortly.
  prometheus::Counter& delivery_local_failures() { return *delivery_local_failures_; }
  // hookd_delivery_duration_seconds: one attempt, connect to last byte read.
  prometheus::Histogram& delivery_duration() { return *delivery_duration_; }
  // hookd_deliveries_pending: deliveries waiting for an attempt or in one.
  prometheus::Gauge& deliveries_pending() { return *deliveries_pending_; }
  // hookd_endpoint_failures_total{endpoint}: failed attempts per endpoint.
  prometheus::Family<prometheus::Counter>& endpoint_failures() { return *endpoint_failures_; }
  // hookd_retention_pruned_rows_total{table}: rows deleted by retention.
  prometheus::Family<prometheus::Counter>& retention_pruned() { return *retention_pruned_; }
  // hookd_retention_transaction_seconds: how long one pruning transaction held the write lock.
  prometheus::Histogram& retention_transaction() { return *retention_transaction_; }
  // hookd_endpoint_circuits{state}: endpoints whose circuit is "open" or "half_open" (the others
  // are closed), as this process's delivery engine sees them.
  prometheus::Family<prometheus::Gauge>& endpoint_circuits() { return *endpoint_circuits_; }
  // hookd_endpoint_circuit_transitions_total{to}: circuit changes to "open", "half_open",
  // "closed".
  prometheus::Family<prometheus::Counter>& circuit_transitions() { return *circuit_transitions_; }
  // hookd_messages_batch_size: messages committed per group commit of POST /api/v1/messages.
  prometheus::Histogram& messages_batch_size() { return *messages_batch_size_; }
  // hookd_stream_clients{transport}: open status-stream clients ("sse", "ws", "longpoll").
  prometheus::Family<prometheus::Gauge>& stream_clients() { return *stream_clients_; }
  // hookd_stream_entries_sent_total{transport}: status-log entries written to stream clients.
  prometheus::Family<prometheus::Counter>& stream_entries_sent() { return *stream_entries_sent_; }
  // hookd_stream_clients_dropped_total{reason}: stream clients closed by hookd ("slow_consumer",
  // "write_stalled", ...).
  prometheus::Family<prometheus::Counter>& stream_clients_dropped() {
    return *stream_clients_dropped_;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* ingest_requests_;
  prometheus::Histogram* ingest_duration_;
  prometheus::Histogram* ingest_batch_size_;
  prometheus::Family<prometheus::Counter>* delivery_attempts_;
  prometheus::Counter* delivery_local_failures_;
  prometheus::Histogram* delivery_duration_;
  prometheus::Gauge* deliveries_pending_;
  prometheus::Family<prometheus::Counter>* endpoint_failures_;
  prometheus::Family<prometheus::Counter>* retention_pruned_;
  prometheus::Histogram* retention_transaction_;
  prometheus::Family<prometheus::Gauge>* endpoint_circuits_;
  prometheus::Family<prometheus::Counter>* circuit_transitions_;
  prometheus::Histogram* messages_batch_size_;
  prometheus::Family<prometheus::Gauge>* stream_clients_;
  prometheus::Family<prometheus::Counter>* stream_entries_sent_;
  prometheus::Family<prometheus::Counter>* stream_clients_dropped_;
};

}  // namespace hookd
