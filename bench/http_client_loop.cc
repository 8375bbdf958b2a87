// bench_http_client_loop: a bare cpp-httplib client, the baseline and the load generator of
// bench/delivery.sh.
//
// C threads, each with its own keep-alive httplib::Client (TCP_NODELAY, like hookd's
// HttpSender), POST one body to one URL:
//
//   closed loop   as fast as the server answers, for --seconds D or until --count N requests
//                 have been sent (the baseline against nginx; publishing messages to hookd);
//   paced         --rate R requests/s on a fixed schedule for --seconds D (or --count N):
//                 request i is due at start + i/R; a thread takes the next due slot, sleeps until
//                 it, and sends (late if every connection is busy: the lateness is reported).
//
//   bench_http_client_loop --url http://127.0.0.1:8080/path [--connections 8]
//       (--seconds D | --count N) [--rate R] [--body-file F] [--content-type T]
//       [--header 'Name: value']... [--id-header Name --id-prefix P] [--record FILE]
//
// --id-header gives request i the header "Name: <P><i>" (a unique X-GitHub-Delivery, say).
// --record FILE writes one line per request: "<id or index> <send time, unix ms with three
// decimals (CLOCK_REALTIME)> <status, 0 = transport error> <response time, ms>".
//
// Prints one line of key=value pairs:
//   requests=<sent> ok=<2xx> non2xx=<other statuses> errors=<transport errors>
//   seconds=<elapsed> rps=<requests per second> ok_rps=<2xx per second> max_late_ms=<paced>
// Exit status 0 when it ran (whatever the answers), 2 on bad usage.

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string url;  // scheme://host:port/path
  int connections = 8;
  double seconds = 0;
  int64_t count = 0;
  double rate = 0;
  std::string body_file;
  std::string content_type = "application/json";
  httplib::Headers headers;
  std::string id_header;
  std::string id_prefix;
  std::string record_file;
};

struct Record {
  int64_t index;
  double sent_ms;
  int status;
  double response_ms;
};

struct ThreadStats {
  int64_t requests = 0, ok = 0, non2xx = 0, errors = 0;
  double max_late_ms = 0;
  std::vector<Record> records;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "bench_http_client_loop: %s\n"
               "usage: bench_http_client_loop --url http://host:port/path [--connections C]\n"
               "         (--seconds D | --count N) [--rate R] [--body-file F]\n"
               "         [--content-type T] [--header 'Name: value']...\n"
               "         [--id-header Name --id-prefix P] [--record FILE]\n",
               why);
  std::exit(2);
}

double RealtimeMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + key).c_str());
    std::string value = argv[++i];
    if (key == "--url") {
      o.url = value;
    } else if (key == "--connections") {
      o.connections = std::atoi(value.c_str());
    } else if (key == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (key == "--count") {
      o.count = std::atoll(value.c_str());
    } else if (key == "--rate") {
      o.rate = std::atof(value.c_str());
    } else if (key == "--body-file") {
      o.body_file = value;
    } else if (key == "--content-type") {
      o.content_type = value;
    } else if (key == "--header") {
      auto colon = value.find(':');
      if (colon == std::string::npos) Usage("--header wants 'Name: value'");
      std::string name = value.substr(0, colon);
      std::string v = value.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      o.headers.emplace(name, v);
    } else if (key == "--id-header") {
      o.id_header = value;
    } else if (key == "--id-prefix") {
      o.id_prefix = value;
    } else if (key == "--record") {
      o.record_file = value;
    } else {
      Usage(("unknown option " + key).c_str());
    }
  }
  if (o.url.empty()) Usage("--url is required");
  if (o.connections < 1 || o.connections > 1024) Usage("--connections: 1 to 1024");
  if (o.seconds <= 0 && o.count <= 0) Usage("give --seconds or --count");
  if (o.rate < 0) Usage("--rate must be positive");
  if (o.rate > 0 && o.count <= 0) o.count = static_cast<int64_t>(o.rate * o.seconds);
  return o;
}

// Splits "http://host:port/path" into "http://host:port" and "/path".
void SplitUrl(const std::string& url, std::string& origin, std::string& path) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) Usage("--url needs a scheme");
  auto slash = url.find('/', scheme_end + 3);
  origin = url.substr(0, slash);
  path = slash == std::string::npos ? "/" : url.substr(slash);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  std::string origin, path;
  SplitUrl(o.url, origin, path);

  std::string body;
  if (!o.body_file.empty()) {
    std::ifstream in(o.body_file, std::ios::binary);
    if (!in) Usage(("cannot read " + o.body_file).c_str());
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  const bool record = !o.record_file.empty();
  const bool paced = o.rate > 0;
  std::atomic<int64_t> next{0};
  std::vector<ThreadStats> stats(static_cast<size_t>(o.connections));
  std::vector<std::thread> threads;
  const SteadyClock::time_point start = SteadyClock::now();
  const SteadyClock::time_point deadline =
      start + std::chrono::duration_cast<SteadyClock::duration>(
                  std::chrono::duration<double>(o.seconds > 0 ? o.seconds : 1e9));

  for (int t = 0; t < o.connections; ++t) {
    threads.emplace_back([&, t] {
      ThreadStats& st = stats[static_cast<size_t>(t)];
      httplib::Client client(origin);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_connection_timeout(5, 0);
      client.set_read_timeout(30, 0);
      client.set_write_timeout(30, 0);
      httplib::Headers headers = o.headers;
      for (;;) {
        const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
        if (o.count > 0 && i >= o.count) break;
        if (paced) {
          auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                                 std::chrono::duration<double>(static_cast<double>(i) / o.rate));
          auto now = SteadyClock::now();
          if (due > now) {
            std::this_thread::sleep_until(due);
          } else {
            double late = std::chrono::duration<double, std::milli>(now - due).count();
            st.max_late_ms = std::max(st.max_late_ms, late);
          }
        } else if (SteadyClock::now() >= deadline) {
          break;
        }
        if (!o.id_header.empty()) {
          headers.erase(o.id_header);
          headers.emplace(o.id_header, o.id_prefix + std::to_string(i));
        }
        const double sent_ms = record ? RealtimeMs() : 0;
        const SteadyClock::time_point sent = SteadyClock::now();
        auto res = client.Post(path, headers, body, o.content_type);
        const double response_ms =
            std::chrono::duration<double, std::milli>(SteadyClock::now() - sent).count();
        const int status = res ? res->status : 0;
        ++st.requests;
        if (!res) {
          ++st.errors;
        } else if (status >= 200 && status < 300) {
          ++st.ok;
        } else {
          ++st.non2xx;
        }
        if (record) st.records.push_back({i, sent_ms, status, response_ms});
      }
    });
  }
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();

  ThreadStats total;
  for (const ThreadStats& st : stats) {
    total.requests += st.requests;
    total.ok += st.ok;
    total.non2xx += st.non2xx;
    total.errors += st.errors;
    total.max_late_ms = std::max(total.max_late_ms, st.max_late_ms);
  }
  if (record) {
    std::FILE* f = std::fopen(o.record_file.c_str(), "w");
    if (!f) {
      std::perror(o.record_file.c_str());
      return 1;
    }
    for (const ThreadStats& st : stats) {
      for (const Record& r : st.records) {
        if (o.id_header.empty()) {
          std::fprintf(f, "%" PRId64 " %.3f %d %.3f\n", r.index, r.sent_ms, r.status,
                       r.response_ms);
        } else {
          std::fprintf(f, "%s%" PRId64 " %.3f %d %.3f\n", o.id_prefix.c_str(), r.index, r.sent_ms,
                       r.status, r.response_ms);
        }
      }
    }
    std::fclose(f);
  }
  std::printf("requests=%" PRId64 " ok=%" PRId64 " non2xx=%" PRId64 " errors=%" PRId64
              " seconds=%.3f rps=%.1f ok_rps=%.1f max_late_ms=%.2f\n",
              total.requests, total.ok, total.non2xx, total.errors, elapsed,
              elapsed > 0 ? static_cast<double>(total.requests) / elapsed : 0.0,
              elapsed > 0 ? static_cast<double>(total.ok) / elapsed : 0.0, total.max_late_ms);
  return 0;
}
