#include "web/overview.h"

#include <algorithm>
#include <vector>

#include "common/db.h"
#include "common/status_log.h"
#include "common/time_format.h"

namespace hookd {
namespace {

constexpr int64_t kMinuteMs = 60'000;

// The first seq whose entry is at or after `since_ms`. status_log has no index on `at`, but
// entries are appended in time order (within a commit batch's few milliseconds), so a binary
// search over the rowid finds the window's start in ~30 lookups instead of a scan of the log.
Result<int64_t> FirstSeqSince(Db& db, int64_t since_ms, int64_t lo, int64_t hi) {
  auto at = db.Cached("SELECT seq, at FROM status_log WHERE seq >= ? ORDER BY seq LIMIT 1");
  if (!at.ok()) return at.status();
  // Invariant: every seq < lo is before since_ms; the answer is in [lo, hi + 1].
  int64_t end = hi + 1;
  while (lo < end) {
    const int64_t mid = lo + (end - lo) / 2;
    (*at)->Reset();
    auto row = (*at)->Bind(1, mid).Step();
    if (!row.ok()) return row.status();
    if (!*row || (*at)->Int(1) >= since_ms) {
      end = mid;
    } else {
      lo = (*at)->Int(0) + 1;
    }
  }
  (*at)->Reset();
  return lo;
}

struct Minute {
  int64_t received = 0, succeeded = 0, retrying = 0, failed = 0, attempts = 0;
  int64_t latency_sum = 0, latency_max = 0, latency_count = 0;
};

Result<nlohmann::json> Read(Db& db, const OverviewOptions& o) {
  auto bounds = db.Cached("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM status_log");
  if (!bounds.ok()) return bounds.status();
  auto row = (*bounds)->Step();
  if (!row.ok()) return row.status();
  const int64_t first = (*bounds)->Int(0), head = (*bounds)->Int(1);
  (*bounds)->Reset();

  const int64_t minutes = std::max(1, o.minutes);
  const int64_t window_start = (o.now_ms / kMinuteMs - (minutes - 1)) * kMinuteMs;
  std::vector<Minute> series(static_cast<size_t>(minutes));
  auto from = FirstSeqSince(db, window_start, first, head);
  if (!from.ok()) return from.status();

  // Aggregated inside SQLite: at a few thousand deliveries a second the hour holds millions of
  // entries, and decoding each into nlohmann::json would take seconds.
  auto agg = db.Cached(
      "SELECT at / 60000, type, COUNT(*), SUM(json_extract(data, '$.latency_ms')),"
      " MAX(json_extract(data, '$.latency_ms')), COUNT(json_extract(data, '$.latency_ms'))"
      " FROM status_log WHERE seq >= ?1 AND seq <= ?2 AND type IN ('event.received',"
      " 'delivery.attempted', 'delivery.succeeded', 'delivery.retrying', 'delivery.failed')"
      " GROUP BY 1, 2");
  if (!agg.ok()) return agg.status();
  (*agg)->Bind(1, *from).Bind(2, head);
  nlohmann::json counters = {{"received", 0}, {"delivered", 0}, {"failed", 0}, {"retrying", 0}};
  while (true) {
    auto r = (*agg)->Step();
    if (!r.ok()) return r.status();
    if (!*r) break;
    const Stmt& st = **agg;
    const int64_t i = st.Int(0) - window_start / kMinuteMs;
    if (i < 0 || i >= minutes) continue;  // an entry stamped slightly out of order
    Minute& m = series[static_cast<size_t>(i)];
    const std::string type = st.Text(1);
    const int64_t n = st.Int(2);
    if (type == "event.received") {
      m.received += n;
      counters["received"] = counters["received"].get<int64_t>() + n;
    } else if (type == "delivery.attempted") {
      m.attempts += n;
      m.latency_sum += st.Int(3);
      m.latency_max = std::max(m.latency_max, st.Int(4));
      m.latency_count += st.Int(5);
    } else if (type == "delivery.succeeded") {
      m.succeeded += n;
      counters["delivered"] = counters["delivered"].get<int64_t>() + n;
    } else if (type == "delivery.retrying") {
      m.retrying += n;
    } else if (type == "delivery.failed") {
      m.failed += n;
      counters["failed"] = counters["failed"].get<int64_t>() + n;
    }
  }

  auto retrying = db.Cached("SELECT COUNT(*) FROM deliveries WHERE status = 'retrying'");
  if (!retrying.ok()) return retrying.status();
  if (auto r = (*retrying)->Step(); !r.ok()) return r.status();
  counters["retrying"] = (*retrying)->Int(0);
  (*retrying)->Reset();

  nlohmann::json minutes_json = nlohmann::json::array();
  for (int64_t i = 0; i < minutes; ++i) {
    const Minute& m = series[static_cast<size_t>(i)];
    minutes_json.push_back(
        {{"t", FormatRfc3339(window_start + i * kMinuteMs)},
         {"received", m.received},
         {"succeeded", m.succeeded},
         {"retrying", m.retrying},
         {"failed", m.failed},
         {"attempts", m.attempts},
         {"latency_ms_avg", m.latency_count ? nlohmann::json(m.latency_sum / m.latency_count)
                                            : nlohmann::json(nullptr)},
         {"latency_ms_max",
          m.latency_count ? nlohmann::json(m.latency_max) : nlohmann::json(nullptr)}});
  }

  auto recent = ReadStatusAfter(db, std::max<int64_t>(first - 1, head - o.recent), o.recent);
  if (!recent.ok()) return recent.status();
  nlohmann::json recent_json = nlohmann::json::array();
  for (const StatusEntry& e : *recent) recent_json.push_back(StatusEntryJson(e));

  return nlohmann::json{{"seq", head},
                        {"window_start", FormatRfc3339(window_start)},
                        {"counters", std::move(counters)},
                        {"minutes", std::move(minutes_json)},
                        {"recent", std::move(recent_json)}};
}

}  // namespace

Result<nlohmann::json> ReadOverview(Db& db, const OverviewOptions& options) {
  // One read transaction: the counters, the series, the recent entries and `seq` agree.
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  auto out = Read(db, options);
  db.Exec("ROLLBACK");
  return out;
}

}  // namespace hookd
