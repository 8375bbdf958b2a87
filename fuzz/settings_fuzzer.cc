// `hookd serve` settings: ParseSettings over fuzzed flags and environment, and
// ParseListenAddress. Input: one argument per line; a line "env:NAME=value" sets an environment
// variable instead.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/settings.h"
#include "common/token_strength.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hookd;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  for (std::string_view line : fuzz::Lines(fuzz::AsView(data, size))) {
    if (line.rfind("env:", 0) == 0) {
      line.remove_prefix(4);
      const size_t eq = line.find('=');
      env[std::string(line.substr(0, eq))] =
          eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1));
    } else {
      args.emplace_back(line);
    }
  }
  const GetEnv getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };

  const Result<Settings> settings = ParseSettings(args, getenv);
  if (settings.ok()) {
    const Settings& s = *settings;
    FUZZ_CHECK(s.http_threads >= 1 && s.http_threads <= 64, std::to_string(s.http_threads));
    FUZZ_CHECK(s.max_body >= 1024 && s.max_body <= (64ULL << 20), std::to_string(s.max_body));
    FUZZ_CHECK(s.delivery_timeout.count() > 0 && s.disable_after.count() > 0, "positive");
    FUZZ_CHECK(!s.retry_schedule.empty(), "a retry schedule");
    FUZZ_CHECK(!s.roles.empty() && !s.data_dir.empty(), "roles and a data dir");
    FUZZ_CHECK(s.sqlite_synchronous == "FULL" || s.sqlite_synchronous == "NORMAL", "synchronous");
    // A configured admin token was checked: none or a strong one.
    FUZZ_CHECK(s.admin_token.empty() || CheckAdminTokenStrength(s.admin_token, "x").ok(),
               s.admin_token);
    // The listen address is printed (hookd's own URL) and must read back the same.
    for (const ListenAddress& a : {s.listen, s.stream_listen}) {
      auto again = ParseListenAddress(a.ToString());
      FUZZ_CHECK(again.ok() && again->port == a.port && again->host == a.host, a.ToString());
    }
  } else {
    FUZZ_CHECK(settings.status().kind() == ErrorKind::kInvalidField, settings.status().ToString());
  }

  for (const std::string& arg : args) {
    if (auto a = ParseListenAddress(arg); a.ok()) {
      auto again = ParseListenAddress(a->ToString());
      FUZZ_CHECK(again.ok() && again->port == a->port && again->host == a->host, a->ToString());
    }
  }
  return 0;
}
