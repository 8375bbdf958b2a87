// hookd: `hookd serve`, `hookd backup`, `hookd version`, `hookd --help`.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/backup_command.h"
#include "app/server.h"
#include "app/settings.h"

namespace {

constexpr char kUsage[] = "hookd " HOOKD_VERSION
                          " - webhook ingestion and delivery\n\n"
                          "Usage:\n"
                          "  hookd serve [flags]   run the server (all roles by default)\n"
                          "  hookd backup --to FILE [flags]\n"
                          "                        copy the live database (hookd backup --help)\n"
                          "  hookd version         print the version\n"
                          "  hookd --help          this help\n\n";

int Serve(const std::vector<std::string>& args) {
  auto settings = hookd::ParseSettings(args, [](const char* name) { return std::getenv(name); });
  if (!settings.ok()) {
    std::cerr << "hookd: " << settings.status().message() << "\n";
    return 2;
  }
  // Block the shutdown signals before any thread starts, so every thread inherits the mask and
  // only the sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Use every descriptor the hard limit allows: the HTTP edge sizes its connection cap to it.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  hookd::SystemClock clock;
  hookd::SecureRandom random;
  auto server = hookd::Server::Create(*settings, clock, random);
  if (!server.ok()) {
    std::cerr << "hookd: " << server.status().message() << "\n";
    return 1;
  }
  if (hookd::Status s = (*server)->Start(); !s.ok()) {
    std::cerr << "hookd: " << s.message() << "\n";
    return 1;
  }
  const std::string base = (*server)->base_url();
  std::cout << "hookd " HOOKD_VERSION " listening on " << base << "\n";
  // The dashboard is served with the admin API: a deliver- or ingest-only process has none.
  if (settings->HasRole("api")) std::cout << "dashboard: " << base << "/\n";
  if (const std::string streams = (*server)->stream_base_url(); !streams.empty())
    std::cout << "status streams: " << streams << "/api/v1/stream\n";
  if ((*server)->auth().generated())
    std::cout << "admin token (generated, stored in " << settings->data_dir
              << "/admin_token): " << (*server)->auth().token() << "\n";
  std::cout.flush();

  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "hookd: received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", shutting down\n";
  (*server)->Stop();
  std::cout << "hookd: stopped\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage << hookd::SettingsHelp();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "hookd " HOOKD_VERSION "\n";
    return 0;
  }
  if (args[0] == "serve") {
    if (args.size() > 1 && (args[1] == "--help" || args[1] == "-h")) {
      std::cout << kUsage << hookd::SettingsHelp();
      return 0;
    }
    return Serve({args.begin() + 1, args.end()});
  }
  if (args[0] == "backup")
    return hookd::RunBackupCommand(
        {args.begin() + 1, args.end()}, [](const char* name) { return std::getenv(name); },
        std::cout, std::cerr);
  std::cerr << "hookd: unknown command \"" << args[0] << "\"\n\n" << kUsage;
  return 2;
}
