// ScrapeGauge: a gauge without labels whose value a function gives at every scrape (a
// prometheus-cpp Collectable for Metrics::AddCollectable), for a figure kept elsewhere, such as
// readiness. The function runs on the scraping thread and must be thread-safe.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

namespace hookd {

class ScrapeGauge : public prometheus::Collectable {
 public:
  ScrapeGauge(std::string name, std::string help, std::function<double()> value)
      : name_(std::move(name)), help_(std::move(help)), value_(std::move(value)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily f;
    f.name = name_;
    f.help = help_;
    f.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric m;
    m.gauge.value = value_();
    f.metric.push_back(std::move(m));
    return {std::move(f)};
  }

 private:
  const std::string name_;
  const std::string help_;
  const std::function<double()> value_;
};

}  // namespace hookd
