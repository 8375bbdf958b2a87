// hookd: `hookd serve`, `hookd backup`, the client commands (`listen`, `send`, `trigger`,
// `retry`, `recover`, `tail`, `login`), `hookd version`, `hookd --help`.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/backup_command.h"
#include "app/server.h"
#include "app/settings.h"
#include "cli/commands.h"
#include "common/clock.h"
#include "common/random.h"

namespace {

constexpr char kUsage[] = "hookd " HOOKD_VERSION
                          " - webhook ingestion and delivery\n\n"
                          "Usage:\n"
                          "  hookd serve [flags]   run the server (all roles by default)\n"
                          "  hookd backup --to FILE [flags]\n"
                          "                        copy the live database (hookd backup --help)\n"
                          "  hookd listen --forward-to URL [--events E]\n"
                          "                        receive deliveries on this machine\n"
                          "  hookd send <event_type> [--data JSON] [--app APP]\n"
                          "                        publish a message\n"
                          "  hookd trigger <provider> <event> --source SRC\n"
                          "                        send a signed sample event (--list)\n"
                          "  hookd retry <dlv_id>  one attempt of a delivery now\n"
                          "  hookd recover <ep_id> --since TIME\n"
                          "                        queue an endpoint's failed deliveries again\n"
                          "  hookd tail [--types T] [--app APP] [--json]\n"
                          "                        follow the status stream\n"
                          "  hookd login --token T [--url URL]\n"
                          "                        keep the URL and token for these commands\n"
                          "                        (each: hookd <command> --help)\n"
                          "  hookd version         print the version\n"
                          "  hookd --help          this help\n\n";

int Serve(const std::vector<std::string>& args) {
  const hookd::GetEnv getenv = [](const char* name) { return std::getenv(name); };
  hookd::SystemClock clock;
  // Every line `serve` writes goes through the logger, to stderr (stdout is left to commands).
  hookd::FdLogSink sink(STDERR_FILENO);
  auto settings = hookd::ParseSettings(args, getenv);
  if (!settings.ok()) {
    hookd::Logger(sink, clock, hookd::LogLevel::kInfo, hookd::RequestedLogFormat(args, getenv))
        .Error(settings.status().message());
    return 2;
  }
  const hookd::Logger log(sink, clock, settings->log_level, settings->log_format);
  std::vector<hookd::LogField> effective = hookd::SettingsLogFields(*settings);
  effective.insert(effective.begin(), {"version", HOOKD_VERSION});
  log.Log(hookd::LogLevel::kInfo, "starting", effective);
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

  hookd::SecureRandom random;
  auto server = hookd::Server::Create(*settings, clock, random, nullptr, nullptr, log);
  if (!server.ok()) {
    log.Error(server.status().message());
    return 1;
  }
  if (hookd::Status s = (*server)->Start(); !s.ok()) {
    log.Error(s.message());
    return 1;
  }
  const std::string base = (*server)->base_url();
  log.Info("listening", {{"url", base}, {"version", HOOKD_VERSION}});
  // The dashboard is served with the admin API: a deliver- or ingest-only process has none.
  if (settings->HasRole("api")) log.Info("dashboard", {{"url", base + "/"}});
  if (const std::string streams = (*server)->stream_base_url(); !streams.empty())
    log.Info("status streams", {{"url", streams + "/api/v1/stream"}});
  // The one time a generated token is shown (it is in the file afterwards).
  if ((*server)->auth().generated())
    log.Info("admin token generated",
             {{"path", settings->data_dir + "/admin_token"}, {"token", (*server)->auth().token()}});

  int sig = 0;
  sigwait(&signals, &sig);
  log.Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Stop();
  log.Info("stopped");
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
  if (hookd::cli::IsClientCommand(args[0])) {
    hookd::SecureRandom random;
    hookd::SystemClock clock;
    return hookd::cli::RunClientCommand(
        args[0], {args.begin() + 1, args.end()}, [](const char* name) { return std::getenv(name); },
        std::cout, std::cerr, random, clock.NowUnixMillis() / 1000);
  }
  std::cerr << "hookd: unknown command \"" << args[0] << "\"\n\n" << kUsage;
  return 2;
}
