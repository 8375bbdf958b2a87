// bench_sender_loop: sequential keep-alive POSTs/s of the outbound senders against one local
// receiver, one request at a time (the per-attempt overhead of each client, not a load test):
//
//   httplib   a bare cpp-httplib Client loop (keep-alive, TCP_NODELAY): the ceiling;
//   async     AsyncHttpSender::SendAsync, the caller waiting for each result (a future);
//   chained   AsyncHttpSender, each `done` starting the next attempt on the I/O thread (how an
//             engine that never waits drives it).
//
//   bench_sender_loop [--url http://127.0.0.1:PORT/path] [--seconds S] [--rounds R]
//
// Without --url an in-process cpp-httplib server on 127.0.0.1 answers 200 "ok" (TCP_NODELAY,
// one keep-alive connection per client). The modes run in turn, R rounds of S seconds each, so
// they share the machine's state; the median round of each mode is printed, then the ratios.
// The URL must be an IP literal (no DNS in the loop, for any of them).

#include <httplib.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "deliver/async_http_sender.h"
#include "deliver/ssrf_guard.h"

namespace {

using hookd::OutboundRequest;
using hookd::SendResult;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kDeadline{5000};
const char* const kBody = R"({"type":"user.created","data":{"id":1,"name":"bench"}})";

struct Rate {
  long requests = 0;
  long failures = 0;
  double seconds = 0;
  double rps() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

OutboundRequest MakeRequest(const hookd::EndpointUrl& url) {
  OutboundRequest r;
  r.endpoint_id = "ep_bench";
  r.url = url;
  r.headers = {{"webhook-id", "msg_bench"},
               {"webhook-timestamp", "1700000000"},
               {"webhook-signature", "v1,c2lnbmF0dXJl"}};
  r.body = kBody;
  return r;
}

Clock::time_point After(Clock::time_point start, double seconds) {
  return start +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Calls `one` (true = a 2xx) until `seconds` have passed.
Rate Loop(double seconds, const std::function<bool()>& one) {
  Rate rate;
  const auto start = Clock::now();
  const auto until = After(start, seconds);
  while (Clock::now() < until) {
    ++rate.requests;
    if (!one()) ++rate.failures;
  }
  rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return rate;
}

// Each result starts the next attempt from the done callback, until `seconds` have passed.
Rate Chained(hookd::AsyncHttpSender& sender, const hookd::EndpointUrl& url, double seconds) {
  struct State {
    hookd::AsyncHttpSender* sender;
    hookd::EndpointUrl url;
    Clock::time_point until;
    Rate rate;
    std::promise<void> finished;
    void Next() {
      sender->SendAsync(MakeRequest(url), kDeadline, [this](SendResult r) {
        ++rate.requests;
        if (r.status < 200 || r.status > 299) ++rate.failures;
        if (Clock::now() >= until) {
          finished.set_value();
        } else {
          Next();
        }
      });
    }
  };
  State state{&sender, url, {}, {}, {}};
  const auto start = Clock::now();
  state.until = After(start, seconds);
  std::future<void> finished = state.finished.get_future();
  state.Next();
  finished.wait();
  state.rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return state.rate;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string url_text;
  double seconds = 3;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--url" && i + 1 < argc) {
      url_text = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--url URL] [--seconds S] [--rounds R]\n", argv[0]);
      return 2;
    }
  }

  std::unique_ptr<httplib::Server> server;
  std::thread server_thread;
  if (url_text.empty()) {
    server = std::make_unique<httplib::Server>();
    server->set_tcp_nodelay(true);
    server->set_keep_alive_max_count(1'000'000'000);
    server->Post("/hook", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    const int port = server->bind_to_any_port("127.0.0.1");
    server_thread = std::thread([&] { server->listen_after_bind(); });
    while (!server->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    url_text = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  }
  hookd::Result<hookd::EndpointUrl> parsed = hookd::ParseEndpointUrl(url_text);
  if (!parsed.ok() || !hookd::ParseIpLiteral(parsed->host)) {
    std::fprintf(stderr, "--url must be http(s) to an IP literal\n");
    return 2;
  }
  const hookd::EndpointUrl url = *parsed;

  hookd::SystemResolver resolver;
  hookd::SsrfGuard guard(resolver, /*allow_private=*/true);

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  auto async = std::make_unique<hookd::AsyncHttpSender>(io, guard, "hookd/bench");

  httplib::Client bare(url.host, url.port);
  bare.set_keep_alive(true);
  bare.set_tcp_nodelay(true);
  const httplib::Headers bare_headers = {{"webhook-id", "msg_bench"},
                                         {"webhook-timestamp", "1700000000"},
                                         {"webhook-signature", "v1,c2lnbmF0dXJl"},
                                         {"User-Agent", "hookd/bench"}};

  const std::vector<std::string> modes = {"httplib", "async", "chained"};
  std::map<std::string, std::vector<Rate>> results;
  for (int round = 0; round < rounds; ++round) {
    for (const std::string& mode : modes) {
      Rate rate;
      if (mode == "httplib") {
        rate = Loop(seconds, [&] {
          auto res = bare.Post(url.target, bare_headers, kBody, "application/json");
          return res && res->status / 100 == 2;
        });
      } else if (mode == "async") {
        rate = Loop(seconds, [&] {
          std::promise<SendResult> promise;
          std::future<SendResult> future = promise.get_future();
          async->SendAsync(MakeRequest(url), kDeadline,
                           [&promise](SendResult r) { promise.set_value(std::move(r)); });
          return future.get().status / 100 == 2;
        });
      } else {
        rate = Chained(*async, url, seconds);
      }
      std::printf("round %d %-8s %8.0f req/s (%ld requests, %ld failed)\n", round + 1, mode.c_str(),
                  rate.rps(), rate.requests, rate.failures);
      std::fflush(stdout);
      results[mode].push_back(rate);
    }
  }

  std::map<std::string, double> median;
  for (const std::string& mode : modes) {
    std::vector<double> rps;
    for (const Rate& r : results[mode]) rps.push_back(r.rps());
    std::sort(rps.begin(), rps.end());
    median[mode] = rps[rps.size() / 2];
  }
  std::printf("median   httplib=%.0f async=%.0f chained=%.0f req/s\n", median["httplib"],
              median["async"], median["chained"]);
  std::printf("ratios   async/httplib=%.2f chained/httplib=%.2f\n",
              median["async"] / median["httplib"], median["chained"] / median["httplib"]);
  std::printf("pooled connections: async=%zu\n", async->IdleConnections());

  async.reset();
  work.reset();
  io_thread.join();
  if (server) {
    server->stop();
    server_thread.join();
  }
  return 0;
}
