// Metrics: build info, bounded id labels unless per_id, series present from the start, and
// collectables served with the registry.
#include "common/metrics.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/scrape_gauge.h"

namespace hookd {
namespace {

bool Has(const std::string& text, const std::string& s) {
  return text.find(s) != std::string::npos;
}

TEST(Metrics, BuildInfoCarriesTheVersion) {
  Metrics m;
  EXPECT_TRUE(
      Has(m.Serialize(), std::string("hookd_build_info{version=\"") + HOOKD_VERSION + "\"} 1\n"))
      << m.Serialize();
}

TEST(Metrics, IdLabelsAreAllUnlessPerId) {
  Metrics bounded;
  EXPECT_FALSE(bounded.per_id());
  EXPECT_EQ(bounded.IdLabel("src_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "all");
  Metrics per_id(true);
  EXPECT_TRUE(per_id.per_id());
  EXPECT_EQ(per_id.IdLabel("src_01ARZ3NDEKTSV4RRFFQ69G5FAV"), "src_01ARZ3NDEKTSV4RRFFQ69G5FAV");
}

TEST(Metrics, SeriesADashboardNeedsArePresentFromTheStart) {
  const std::string text = Metrics().Serialize();
  for (const char* s :
       {"hookd_deliveries_failed_total 0\n", "hookd_endpoint_failures_total{endpoint=\"all\"} 0\n",
        "hookd_endpoint_circuits{state=\"open\"} 0\n",
        "hookd_endpoint_circuit_transitions_total{to=\"open\"} 0\n",
        "hookd_endpoint_circuit_transitions_total{to=\"closed\"} 0\n"}) {
    EXPECT_TRUE(Has(text, s)) << s << "\n" << text;
  }
  // With per-id labels there is no "all" series to mix with the per-endpoint ones.
  EXPECT_FALSE(Has(Metrics(true).Serialize(), "endpoint=\"all\""));
}

TEST(Metrics, CollectablesAreServedAtEveryScrape) {
  Metrics m;
  double v = 1;
  m.AddCollectable(std::make_shared<ScrapeGauge>("hookd_test_gauge", "a test", [&v] { return v; }));
  EXPECT_TRUE(Has(m.Serialize(), "# TYPE hookd_test_gauge gauge\nhookd_test_gauge 1\n"));
  v = 0;
  EXPECT_TRUE(Has(m.Serialize(), "\nhookd_test_gauge 0\n"));
  EXPECT_TRUE(Has(m.Serialize(), "hookd_deliveries_failed_total 0\n"));  // the registry too
}

}  // namespace
}  // namespace hookd
