// bench_stream_client: many status-stream clients in one thread (one Boost.Asio io_context on
// epoll, raw TCP sockets, no per-client threads), for bench/streams.sh.
//
//   bench_stream_client --port P --token T [--host 127.0.0.1] [--sse N] [--ws M]
//       [--query 'types=...'] [--seconds D] [--connect-batch K] [--ready-file F]
//
// Opens N SSE (GET /api/v1/stream) and M WebSocket (GET /api/v1/ws, a minimal RFC 6455 client:
// it answers pings and reads unmasked server frames) connections, at most K connecting at a
// time, with `Authorization: Bearer T` and the query string Q. When every connection has its
// response head (or was refused), it prints a "ready" line (and writes it to F if given), then
// runs for D seconds (0: until SIGINT/SIGTERM).
//
// For every SSE entry it reads it records the lag: receive time (CLOCK_REALTIME) minus the
// entry's "at" (its commit time, RFC 3339 with milliseconds), in a 1 ms histogram, and checks
// that each client's seqs are contiguous (for an unfiltered stream the log's seqs are).
//
// Prints key=value lines at the end:
//   ready ... held=<connections answered 200/101> refused=<503> failed=<other>
//   result clients=... entries=... gaps=... missing=<seqs skipped> dropped=<": dropped" seen>
//     closed=<closed by the server> first_seq=<min> last_seq=<max> behind=<clients whose last
//     seq is below the max> lag_p50_ms=... lag_p99_ms=... lag_max_ms=... lag_n=...
//     cpu_user_s=... cpu_sys_s=... wall_s=...
// "at" is truncated to the millisecond: a lag v (0.1 ms resolution) means [v - 1, v] ms.

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string token;
  int sse = 0;
  int ws = 0;
  std::string query;
  double seconds = 0;
  int connect_batch = 256;
  std::string ready_file;
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr,
               "bench_stream_client: %s\n"
               "usage: bench_stream_client --port P --token T [--host H] [--sse N] [--ws M]\n"
               "       [--query Q] [--seconds D] [--connect-batch K] [--ready-file F]\n",
               msg);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + key).c_str());
    std::string value = argv[++i];
    if (key == "--host") {
      o.host = value;
    } else if (key == "--port") {
      o.port = std::atoi(value.c_str());
    } else if (key == "--token") {
      o.token = value;
    } else if (key == "--sse") {
      o.sse = std::atoi(value.c_str());
    } else if (key == "--ws") {
      o.ws = std::atoi(value.c_str());
    } else if (key == "--query") {
      o.query = value;
    } else if (key == "--seconds") {
      o.seconds = std::atof(value.c_str());
    } else if (key == "--connect-batch") {
      o.connect_batch = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--ready-file") {
      o.ready_file = value;
    } else {
      Usage(("unknown option " + key).c_str());
    }
  }
  if (o.port <= 0) Usage("--port is required");
  if (o.sse < 0 || o.ws < 0 || o.sse + o.ws == 0) Usage("--sse and/or --ws must be positive");
  return o;
}

int64_t NowUnixMs100() {  // CLOCK_REALTIME in units of 0.1 ms
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 10000 + ts.tv_nsec / 100000;
}

// "2024-05-01T12:34:56.789Z" -> unix ms; -1 when malformed. The seconds of the last
// "YYYY-MM-DDTHH:MM:SS" are kept: consecutive entries mostly share them (one thread).
int64_t ParseAtMs(std::string_view s) {
  if (s.size() < 24 || s[4] != '-' || s[10] != 'T' || s[19] != '.') return -1;
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  static char last_prefix[19] = {};
  static int64_t last_secs = 0;
  if (std::memcmp(last_prefix, s.data(), sizeof last_prefix) == 0)
    return last_secs * 1000 + num(20, 3);
  tm t{};
  t.tm_year = num(0, 4) - 1900;
  t.tm_mon = num(5, 2) - 1;
  t.tm_mday = num(8, 2);
  t.tm_hour = num(11, 2);
  t.tm_min = num(14, 2);
  t.tm_sec = num(17, 2);
  last_secs = static_cast<int64_t>(timegm(&t));
  std::memcpy(last_prefix, s.data(), sizeof last_prefix);
  return last_secs * 1000 + num(20, 3);
}

struct Stats {
  // Lag histogram in 0.1 ms buckets up to 120 s; the last bucket takes everything above.
  std::vector<uint64_t> lag_hist = std::vector<uint64_t>(1200001, 0);
  int64_t lag_max = 0;  // 0.1 ms
  uint64_t entries = 0;
  uint64_t gaps = 0;
  uint64_t missing = 0;
  uint64_t dropped = 0;
  uint64_t closed = 0;
  uint64_t bad = 0;
  int held = 0;
  int refused = 0;
  int failed = 0;
  int pending = 0;  // connections without a response head yet

  void Lag(int64_t v) {
    if (v < 0) v = 0;
    lag_max = std::max(lag_max, v);
    ++lag_hist[std::min<size_t>(static_cast<size_t>(v), lag_hist.size() - 1)];
  }
  // The lag at quantile q in ms.
  double Quantile(double q) const {
    uint64_t n = 0;
    for (uint64_t c : lag_hist) n += c;
    if (n == 0) return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(n - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < lag_hist.size(); ++i) {
      seen += lag_hist[i];
      if (seen >= rank) return static_cast<double>(i) / 10.0;
    }
    return static_cast<double>(lag_max) / 10.0;
  }
  uint64_t LagCount() const {
    uint64_t n = 0;
    for (uint64_t c : lag_hist) n += c;
    return n;
  }
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& ioc, const Options& o, Stats& stats, bool ws,
         std::function<void()> on_head)
      : socket_(ioc), o_(o), stats_(stats), ws_(ws), on_head_(std::move(on_head)) {}

  void Start(const tcp::endpoint& ep) {
    socket_.async_connect(ep, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) {
        self->Fail();
        return;
      }
      self->SendRequest();
    });
  }

  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  int64_t first_seq = -1;
  int64_t last_seq = -1;

 private:
  void Fail() {
    if (!head_done_) {
      head_done_ = true;
      ++stats_.failed;
      on_head_();
    }
    Close();
  }

  void SendRequest() {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    std::string target = ws_ ? "/api/v1/ws" : "/api/v1/stream";
    if (!o_.query.empty()) target += "?" + o_.query;
    request_ = "GET " + target + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
               "\r\nAuthorization: Bearer " + o_.token + "\r\n";
    if (ws_) {
      request_ +=
          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    } else {
      request_ += "Accept: text/event-stream\r\n";
    }
    request_ += "\r\n";
    asio::async_write(socket_, asio::buffer(request_),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        if (ec) {
                          self->Fail();
                          return;
                        }
                        self->request_.clear();
                        self->request_.shrink_to_fit();
                        self->Read();
                      });
  }

  // Waits until the socket is readable, then reads what is there into the one shared buffer
  // (this process has one thread: the bytes are parsed before the next read) so 1,000 clients
  // 100 KB behind each cost few system calls and no per-client read buffer.
  void Read() {
    socket_.async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this()](const boost::system::error_code& ec) { self->OnReadable(ec); });
  }

  void OnReadable(const boost::system::error_code& ec) {
    if (ec) {
      OnRead(ec, 0);
      return;
    }
    boost::system::error_code rec;
    socket_.non_blocking(true, rec);
    const size_t n = socket_.read_some(asio::buffer(ReadBuffer()), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) {
      Read();
      return;
    }
    OnRead(rec, n);
  }

  static std::vector<char>& ReadBuffer() {
    static std::vector<char> buf(256 * 1024);
    return buf;
  }

  void OnRead(const boost::system::error_code& ec, size_t n) {
    if (ec) {
      if (!head_done_) {
        Fail();
      } else {
        ++stats_.closed;
        Close();
      }
      return;
    }
    pending_.append(ReadBuffer().data(), n);
    if (!head_done_) {
      size_t end = pending_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (pending_.size() > 16384) Fail();
        if (head_done_) return;
        Read();
        return;
      }
      head_done_ = true;
      std::string_view status(pending_.data(), std::min<size_t>(end, 12));
      if (status.find(ws_ ? " 101" : " 200") != std::string_view::npos) {
        ++stats_.held;
      } else if (status.find(" 503") != std::string_view::npos) {
        ++stats_.refused;
        on_head_();
        Close();
        return;
      } else {
        ++stats_.failed;
        on_head_();
        Close();
        return;
      }
      pending_.erase(0, end + 4);
      on_head_();
    }
    if (ws_) {
      ParseWs();
    } else {
      ParseSse();
    }
    if (pending_.capacity() > 65536 && pending_.size() < 4096) pending_.shrink_to_fit();
    Read();
  }

  // One SSE line at a time; an entry is "id: <seq>", "event: <type>", "data: <json>", "".
  void ParseSse() {
    const int64_t now = NowUnixMs100();
    size_t pos = 0;
    while (true) {
      size_t nl = pending_.find('\n', pos);
      if (nl == std::string::npos) break;
      std::string_view line(pending_.data() + pos, nl - pos);
      pos = nl + 1;
      if (line.starts_with("id: ")) {
        int64_t seq = -1;
        std::from_chars(line.data() + 4, line.data() + line.size(), seq);
        if (last_seq >= 0 && seq != last_seq + 1) {
          ++stats_.gaps;
          if (seq > last_seq) stats_.missing += static_cast<uint64_t>(seq - last_seq - 1);
        }
        if (first_seq < 0) first_seq = seq;
        last_seq = seq;
        ++stats_.entries;
      } else if (line.starts_with("data: ")) {
        size_t at = line.find("\"at\":\"");
        int64_t ms = at == std::string_view::npos ? -1 : ParseAtMs(line.substr(at + 6));
        if (ms < 0) {
          ++stats_.bad;
        } else {
          stats_.Lag(now - ms * 10);
        }
      } else if (line.starts_with(": dropped")) {
        ++stats_.dropped;
      }
    }
    pending_.erase(0, pos);
  }

  // Server frames are unmasked. Pings are answered with a masked pong; text frames counted.
  void ParseWs() {
    while (pending_.size() >= 2) {
      auto b0 = static_cast<uint8_t>(pending_[0]);
      auto b1 = static_cast<uint8_t>(pending_[1]);
      size_t header = 2;
      uint64_t len = b1 & 0x7f;
      if (len == 126) {
        if (pending_.size() < 4) return;
        len = (static_cast<uint8_t>(pending_[2]) << 8) | static_cast<uint8_t>(pending_[3]);
        header = 4;
      } else if (len == 127) {
        if (pending_.size() < 10) return;
        len = 0;
        for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<uint8_t>(pending_[i]);
        header = 10;
      }
      if (pending_.size() < header + len) return;
      const int opcode = b0 & 0x0f;
      if (opcode == 0x9) {  // ping -> pong with the same payload, masked with a zero key
        auto pong = std::make_shared<std::string>();
        pong->push_back(static_cast<char>(0x8A));
        pong->push_back(static_cast<char>(0x80 | len));  // control payloads are <= 125 bytes
        pong->append(4, '\0');
        pong->append(pending_, header, len);
        asio::async_write(socket_, asio::buffer(*pong),
                          [pong](const boost::system::error_code&, size_t) {});
      } else if (opcode == 0x8) {
        ++stats_.closed;
      } else if (opcode == 0x1) {
        ++stats_.entries;
      }
      pending_.erase(0, header + len);
    }
  }

  tcp::socket socket_;
  const Options& o_;
  Stats& stats_;
  const bool ws_;
  std::function<void()> on_head_;
  std::string request_;
  std::string pending_;
  bool head_done_ = false;
};

double CpuSeconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  asio::io_context ioc(1);
  Stats stats;
  const tcp::endpoint ep(asio::ip::make_address(o.host), static_cast<uint16_t>(o.port));
  const int total = o.sse + o.ws;
  std::vector<std::shared_ptr<Client>> clients;
  clients.reserve(static_cast<size_t>(total));

  const auto start = std::chrono::steady_clock::now();
  auto ready_at = start;
  asio::steady_timer end_timer(ioc);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  auto finish = [&] {
    signals.cancel();
    end_timer.cancel();
    for (auto& c : clients) c->Close();
    ioc.stop();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) finish();
  });

  int started = 0;
  int answered = 0;
  std::function<void()> start_next;
  auto on_head = [&] {
    ++answered;
    start_next();
    if (answered != total) return;
    ready_at = std::chrono::steady_clock::now();
    char line[256];
    std::snprintf(line, sizeof line, "ready sse=%d ws=%d held=%d refused=%d failed=%d secs=%.3f\n",
                  o.sse, o.ws, stats.held, stats.refused, stats.failed,
                  std::chrono::duration<double>(ready_at - start).count());
    std::fputs(line, stdout);
    std::fflush(stdout);
    if (!o.ready_file.empty()) std::ofstream(o.ready_file) << line;
    if (o.seconds > 0) {
      end_timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(o.seconds)));
      end_timer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) finish();
      });
    }
  };
  start_next = [&] {
    if (started >= total) return;
    // WebSocket clients spread evenly among the SSE ones, so a cap on the server's side
    // holds both kinds in proportion.
    const bool ws = static_cast<int64_t>(started) * o.ws / total !=
                    static_cast<int64_t>(started + 1) * o.ws / total;
    ++started;
    auto c = std::make_shared<Client>(ioc, o, stats, ws, on_head);
    clients.push_back(c);
    c->Start(ep);
  };
  for (int i = 0; i < std::min(total, o.connect_batch); ++i) start_next();
  ioc.run();
  const auto end = std::chrono::steady_clock::now();

  int64_t first = -1;
  int64_t last = -1;
  int sse_clients = 0;
  for (const auto& c : clients) {
    if (c->last_seq < 0) continue;
    ++sse_clients;
    if (first < 0 || c->first_seq < first) first = c->first_seq;
    last = std::max(last, c->last_seq);
  }
  int behind = 0;
  for (const auto& c : clients) {
    if (c->last_seq >= 0 && c->last_seq < last) ++behind;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("result clients=%d sse_with_entries=%d entries=%" PRIu64 " gaps=%" PRIu64
              " missing=%" PRIu64 " dropped=%" PRIu64 " closed=%" PRIu64 " unparsed=%" PRIu64
              " first_seq=%" PRId64 " last_seq=%" PRId64 " behind=%d lag_n=%" PRIu64
              " lag_p50_ms=%.1f lag_p99_ms=%.1f lag_max_ms=%.1f cpu_user_s=%.3f cpu_sys_s=%.3f "
              "wall_s=%.3f run_s=%.3f\n",
              static_cast<int>(clients.size()), sse_clients, stats.entries, stats.gaps,
              stats.missing, stats.dropped, stats.closed, stats.bad, first, last, behind,
              stats.LagCount(), stats.Quantile(0.5), stats.Quantile(0.99),
              static_cast<double>(stats.lag_max) / 10.0, CpuSeconds(ru.ru_utime),
              CpuSeconds(ru.ru_stime), std::chrono::duration<double>(end - start).count(),
              std::chrono::duration<double>(end - ready_at).count());
  return 0;
}
