// ProcessCollector: the standard Prometheus process metrics of this process
// (process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds), read from /proc/self at every scrape: prometheus-cpp has no
// process collector. Linux only; a figure that cannot be read is left out of the scrape.
// Thread-safe (it keeps no state).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace hookd {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  double resident_bytes = 0;
  double start_time_seconds = 0;  // unix seconds
};

// Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses):
// utime and stime (fields 14, 15) and starttime (22) in clock ticks, rss (24) in pages.
// `boot_time_seconds` is /proc/stat's btime. nullopt when the text is not such a line.
std::optional<ProcessStats> ParseProcStat(std::string_view text, long ticks_per_second,
                                          long page_size, double boot_time_seconds);
// The "btime <unix seconds>" line of /proc/stat's text.
std::optional<double> ParseBootTime(std::string_view proc_stat);

// This process's figures now, from /proc.
std::optional<ProcessStats> ReadProcessStats();
// Descriptors open in this process (entries of /proc/self/fd, the listing's own not counted).
std::optional<double> CountOpenFds();
// The soft RLIMIT_NOFILE.
std::optional<double> MaxFds();

class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace hookd
