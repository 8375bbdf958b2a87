// bench_http_client_loop: a bare cpp-httplib client, the baseline and the load generator of
// bench/delivery.sh and bench/delivery_scale.sh.
//
// C threads, each with its own keep-alive httplib::Client (TCP_NODELAY, as hookd's sender
// sets), POST one body to one URL:
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
//       [--record-response-id] [--body-index-marker M]
//
// --id-header gives request i the header "Name: <P><i>" (a unique X-GitHub-Delivery, say).
// --body-index-marker M replaces every M in the body by the request's index i (distinct
// endpoint URLs when creating endpoints, say).
// --record FILE writes one line per request: "<id or index> <send time, unix ms with three
// decimals (CLOCK_REALTIME)> <status, 0 = transport error> <response time, ms>";
// with --record-response-id the first field is the "id" of the JSON answer ("-" when none),
// so a published message's send time can be matched with its webhook-id at the receiver.
//
// A receiver that never answers (bench/delivery_scale.sh's dead endpoints):
//
//   bench_http_client_loop --blackhole 127.0.0.1:PORT [--seconds D]
//
// accepts every connection and reads what is sent, never answers, and closes a connection only
// when its peer does; it runs until SIGTERM/SIGINT (or D seconds) and then prints
// "accepted=<connections> open=<still open> max_open=<most open at once>".
//
// Prints one line of key=value pairs:
//   requests=<sent> ok=<2xx> non2xx=<other statuses> errors=<transport errors>
//   seconds=<elapsed> rps=<requests per second> ok_rps=<2xx per second> max_late_ms=<paced>
// Exit status 0 when it ran (whatever the answers), 2 on bad usage.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
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
  bool record_response_id = false;
  std::string body_index_marker;
  std::string blackhole;  // host:port to listen on, instead of sending
};

struct Record {
  int64_t index;
  std::string response_id;
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
               "         [--id-header Name --id-prefix P] [--record FILE]\n"
               "         [--record-response-id] [--body-index-marker M]\n"
               "       bench_http_client_loop --blackhole HOST:PORT [--seconds D]\n",
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
    if (key == "--record-response-id") {
      o.record_response_id = true;
      continue;
    }
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
    } else if (key == "--body-index-marker") {
      o.body_index_marker = value;
    } else if (key == "--blackhole") {
      o.blackhole = value;
    } else {
      Usage(("unknown option " + key).c_str());
    }
  }
  if (!o.blackhole.empty()) return o;
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

// The value of the first "id" string member of a JSON answer, or "-".
std::string ResponseId(const std::string& body) {
  for (size_t at = body.find("\"id\""); at != std::string::npos; at = body.find("\"id\"", at + 1)) {
    size_t p = body.find_first_not_of(" \t\r\n", at + 4);
    if (p == std::string::npos || body[p] != ':') continue;
    p = body.find_first_not_of(" \t\r\n", p + 1);
    if (p == std::string::npos || body[p] != '"') continue;
    const size_t end = body.find('"', p + 1);
    if (end == std::string::npos) break;
    return body.substr(p + 1, end - p - 1);
  }
  return "-";
}

std::string WithIndex(const std::string& body, const std::string& marker, int64_t i) {
  if (marker.empty()) return body;
  std::string out;
  const std::string index = std::to_string(i);
  size_t from = 0;
  for (size_t at = body.find(marker); at != std::string::npos; at = body.find(marker, from)) {
    out.append(body, from, at - from);
    out += index;
    from = at + marker.size();
  }
  out.append(body, from, std::string::npos);
  return out;
}

volatile std::sig_atomic_t g_stop = 0;
void OnStopSignal(int) { g_stop = 1; }

// --blackhole: accept, read and discard, never answer; close when the peer closes.
int Blackhole(const Options& o) {
  const auto colon = o.blackhole.rfind(':');
  if (colon == std::string::npos) Usage("--blackhole wants HOST:PORT");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(o.blackhole.c_str() + colon + 1)));
  if (inet_pton(AF_INET, o.blackhole.substr(0, colon).c_str(), &addr.sin_addr) != 1)
    Usage("--blackhole wants an IPv4 address");
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 4096) != 0) {
    std::perror("bench_http_client_loop: --blackhole");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  const auto deadline =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(o.seconds > 0 ? o.seconds : 1e9));
  int64_t accepted = 0, open = 0, max_open = 0;
  std::vector<epoll_event> events(256);
  char scratch[16384];
  while (!g_stop && SteadyClock::now() < deadline) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 200);
    for (int k = 0; k < n; ++k) {
      const int fd = events[static_cast<size_t>(k)].data.fd;
      if (fd == listener) {
        for (;;) {
          const int c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ++accepted;
          max_open = std::max(max_open, ++open);
          epoll_event cev{};
          cev.events = EPOLLIN | EPOLLRDHUP;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t r;
      while ((r = recv(fd, scratch, sizeof scratch, 0)) > 0) {
      }
      if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        close(fd);  // also leaves the epoll set
        --open;
      }
    }
  }
  std::printf("accepted=%" PRId64 " open=%" PRId64 " max_open=%" PRId64 "\n", accepted, open,
              max_open);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  if (!o.blackhole.empty()) return Blackhole(o);
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
        auto res =
            client.Post(path, headers, WithIndex(body, o.body_index_marker, i), o.content_type);
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
        if (record)
          st.records.push_back({i, res && o.record_response_id ? ResponseId(res->body) : "-",
                                sent_ms, status, response_ms});
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
        if (o.record_response_id) {
          std::fprintf(f, "%s %.3f %d %.3f\n", r.response_id.c_str(), r.sent_ms, r.status,
                       r.response_ms);
        } else if (o.id_header.empty()) {
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
