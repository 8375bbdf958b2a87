// bench_bare_server: the honest baseline for hookd's ingest benchmark.
//
// A stock Pistache Http::Endpoint that answers 200 "ok" to every request,
// configured like hookd's listener (same thread count, ReuseAddr, same
// maximum request size). It deliberately does NOT touch the Connection
// header: whatever stock Pistache 0.0.5 does with or without a client
// `Connection: keep-alive` is what this server does, so the bench shows the
// cost of that behaviour next to hookd.
//
//   bench_bare_server [--listen 127.0.0.1:9090] [--threads 2]
//
// Exits 0 on SIGTERM / SIGINT.

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include <pthread.h>

namespace {

using namespace Pistache;

class OkHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(OkHandler)

  void onRequest(const Http::Request& /*request*/, Http::ResponseWriter response) override {
    response.send(Http::Code::Ok, "ok");
  }
};

void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--listen HOST:PORT] [--threads N]\n", argv0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:9090";
  int threads = 2;

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", name);
        usage(argv[0]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--listen") {
      listen = value("--listen");
    } else if (arg.rfind("--listen=", 0) == 0) {
      listen = arg.substr(std::strlen("--listen="));
    } else if (arg == "--threads") {
      threads = std::atoi(value("--threads").c_str());
    } else if (arg.rfind("--threads=", 0) == 0) {
      threads = std::atoi(arg.substr(std::strlen("--threads=")).c_str());
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument: %s\n", arg.c_str());
      usage(argv[0]);
      return 2;
    }
  }
  if (threads < 1) {
    std::fprintf(stderr, "--threads must be >= 1\n");
    return 2;
  }
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    std::fprintf(stderr, "--listen must be HOST:PORT, got '%s'\n", listen.c_str());
    return 2;
  }

  // Block the signals before Pistache starts its threads so they all inherit
  // the mask and only the sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &signals, nullptr) != 0) {
    std::perror("pthread_sigmask");
    return 1;
  }

  try {
    Address addr(listen.substr(0, colon),
                 Port(static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)))));
    Http::Endpoint endpoint(addr);
    auto opts = Http::Endpoint::options()
                    .threads(threads)
                    .flags(Tcp::Options::ReuseAddr)
                    .maxRequestSize(1024 * 1024 + 64 * 1024);
    endpoint.init(opts);
    endpoint.setHandler(Http::make_handler<OkHandler>());
    endpoint.serveThreaded();
    std::fprintf(stderr, "bench_bare_server listening on %s with %d threads\n", listen.c_str(),
                 threads);

    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      std::perror("sigwait");
    }
    std::fprintf(stderr, "bench_bare_server: signal %d, shutting down\n", sig);
    endpoint.shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bare_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
