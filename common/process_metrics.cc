#include "common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

namespace hookd {
namespace {

std::optional<std::string> ReadText(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<double> ParseNumber(std::string_view s) {
  long long n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return static_cast<double>(n);
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

std::optional<ProcessStats> ParseProcStat(std::string_view text, long ticks_per_second,
                                          long page_size, double boot_time_seconds) {
  // "pid (comm) state ppid ...": the fields after the last ')' start with field 3.
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_size <= 0)
    return std::nullopt;
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(close + 1);
  while (!rest.empty()) {
    const size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = std::min(rest.find_first_of(" \n"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  auto field = [&](size_t n) -> std::optional<double> {  // 1-based, as in proc(5)
    if (n - 3 >= fields.size()) return std::nullopt;
    return ParseNumber(fields[n - 3]);
  };
  auto utime = field(14), stime = field(15), starttime = field(22), rss = field(24);
  if (!utime || !stime || !starttime || !rss) return std::nullopt;
  const double ticks = static_cast<double>(ticks_per_second);
  ProcessStats s;
  s.cpu_seconds = (*utime + *stime) / ticks;
  s.resident_bytes = *rss * static_cast<double>(page_size);
  s.start_time_seconds = boot_time_seconds + *starttime / ticks;
  return s;
}

std::optional<double> ParseBootTime(std::string_view proc_stat) {
  size_t pos = 0;
  while (pos < proc_stat.size()) {
    size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    std::string_view line = proc_stat.substr(pos, end - pos);
    if (line.rfind("btime ", 0) == 0) return ParseNumber(line.substr(6));
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<ProcessStats> ReadProcessStats() {
  auto stat = ReadText("/proc/self/stat");
  auto system = ReadText("/proc/stat");
  if (!stat || !system) return std::nullopt;
  auto boot = ParseBootTime(*system);
  if (!boot) return std::nullopt;
  return ParseProcStat(*stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), *boot);
}

std::optional<double> CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return std::nullopt;
  const std::string own = std::to_string(dirfd(dir));
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.' || own == e->d_name) continue;
    ++n;
  }
  closedir(dir);
  return n;
}

std::optional<double> MaxFds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return static_cast<double>(limit.rlim_cur);
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  if (auto s = ReadProcessStats()) {
    out.push_back(Family("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds", MetricType::Counter,
                         s->cpu_seconds));
    out.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes",
                         MetricType::Gauge, s->resident_bytes));
    out.push_back(Family("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds", MetricType::Gauge,
                         s->start_time_seconds));
  }
  if (auto n = CountOpenFds())
    out.push_back(
        Family("process_open_fds", "Number of open file descriptors", MetricType::Gauge, *n));
  if (auto n = MaxFds())
    out.push_back(Family("process_max_fds", "Maximum number of open file descriptors",
                         MetricType::Gauge, *n));
  return out;
}

}  // namespace hookd
