// Metrics: hookd's prometheus-cpp registry and the metric families every slice uses, served as
// Prometheus text on hookd's own port (GET /metrics). Families are created once here; callers
// keep the label handles (Counter&, Histogram&) they get back and never look them up per
// request. Values computed at scrape time (process figures, database gauges) come from the
// collectables added with AddCollectable. Label sets stay bounded: a source or endpoint id is
// a label value only with per_id (HOOKD_METRICS_PER_ID), otherwise "all".
// prometheus-cpp metrics are thread-safe; AddCollectable is for start-up, before serving.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace hookd {

class Metrics {
 public:
  // per_id: label ingest requests by source id and failures by endpoint id (the label sets then
  // grow with the sources and endpoints); otherwise those labels hold "all".
  explicit Metrics(bool per_id = false);
  // The registry and the collectables, in Prometheus text exposition format.
  std::string Serialize() const;
  // Adds families collected at every scrape. Not thread-safe: call before serving.
  void AddCollectable(std::shared_ptr<prometheus::Collectable> c) {
    collectables_.push_back(std::move(c));
  }

  bool per_id() const { return per_id_; }
  // The value of a source or endpoint label: the id with per_id, "all" otherwise.
  std::string IdLabel(const std::string& id) const { return per_id_ ? id : "all"; }

  prometheus::Registry& registry() { return *registry_; }
  // hookd_ingest_requests_total{source, provider, result}: source is IdLabel(id), or "unknown".
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
  // hookd_deliveries_failed_total: deliveries that ended failed for good (retries exhausted,
  // 410 Gone, the endpoint disabled or deleted).
  prometheus::Counter& deliveries_failed() { return *deliveries_failed_; }
  // hookd_endpoint_failures_total{endpoint}: failed attempts per endpoint (IdLabel).
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
  bool per_id_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  prometheus::Counter* deliveries_failed_;
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
