// Settings of `hookd serve`: flags first, then HOOKD_* environment variables, then defaults
// (API.md, "Processes, ports, storage"). A value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/result.h"

namespace hookd {

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};

struct Settings {
  ListenAddress listen{"127.0.0.1", 8080};
  ListenAddress stream_listen{"127.0.0.1", 8081};
  // Origins allowed to use the stream listener from a browser (CORS, WebSocket Origin check),
  // besides the main listener's own.
  std::vector<std::string> dashboard_origins;
  // Origins whose pages may frame the portal (CSP frame-ancestors of /portal/); none when empty.
  std::vector<std::string> portal_frame_ancestors;
  // The one origin a reverse proxy serves both listeners under (deploy/nginx/hookd.conf); empty
  // when clients reach the listeners directly.
  std::string public_url;
  // PostgreSQL for several nodes (API.md, "Storage"): a postgres:// or postgresql:// URL, or
  // empty for the SQLite file in data_dir. It may hold a password: never logged.
  std::string database_url;
  uint64_t stream_max_connections = 10000;
  uint64_t stream_queue_limit = 1 << 20;  // bytes queued per stream client before it is dropped
  std::chrono::milliseconds stream_ping_interval{15000};
  std::string data_dir = "./data";
  std::string admin_token;  // HOOKD_ADMIN_TOKEN only: a flag would show in `ps`
  std::vector<std::chrono::milliseconds> retry_schedule;
  bool allow_private_targets = false;
  std::chrono::milliseconds delivery_timeout{15000};
  // A `hookd listen` endpoint without its command this long is removed (API.md: a minute).
  std::chrono::milliseconds listen_grace{60000};
  std::chrono::milliseconds disable_after{5LL * 24 * 3600 * 1000};
  int max_inflight = 2048;  // delivery attempts in flight in all
  uint64_t max_body = 1 << 20;
  int http_threads = 2;
  // The HTTP edge's bounds (common/http_server.h).
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::chrono::milliseconds write_timeout{60000};
  uint64_t max_connections = 10000;
  uint64_t request_buffer_budget = 64ULL << 20;
  std::string sqlite_synchronous = "FULL";
  // Browser sessions end after this long unused, and this long after sign-in in any case.
  std::chrono::milliseconds session_idle{12LL * 3600 * 1000};
  std::chrono::milliseconds session_max_age{7LL * 24 * 3600 * 1000};
  // Always mark the session cookie Secure (it is anyway when X-Forwarded-Proto says https).
  bool secure_cookies = false;
  std::set<std::string> roles{"ingest", "api", "deliver"};
  // Retention (docs/DECISIONS.md, "Retention"): how long events, messages, deliveries and
  // attempts are kept, and the status log; nullopt ("off") keeps everything.
  std::optional<std::chrono::milliseconds> retention{30LL * 24 * 3600 * 1000};
  std::optional<std::chrono::milliseconds> retention_status_log{30LL * 24 * 3600 * 1000};
  // How often the pruner looks for rows past their window.
  std::chrono::milliseconds retention_interval{60000};
  // The log (common/log.h): lines below log_level are not written; access_log adds one line
  // per HTTP request.
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  bool access_log = false;

  // /metrics (docs in README, "Metrics"): label by source and endpoint id, and the bearer token
  // it requires (HOOKD_METRICS_TOKEN only; empty: no token, as API.md says).
  bool metrics_per_id = false;
  std::string metrics_token;

  bool HasRole(const std::string& r) const { return roles.count(r) > 0; }
};

using GetEnv = std::function<const char*(const char*)>;

// Parses the arguments after "serve". 422 invalid_field naming the flag or variable on any bad
// value or unknown flag.
Result<Settings> ParseSettings(const std::vector<std::string>& args, const GetEnv& getenv);

Result<ListenAddress> ParseListenAddress(const std::string& text);

// The settings table printed by `hookd --help`.
std::string SettingsHelp();

// The effective settings as log fields, for the start-up line; the admin token is not shown.
std::vector<LogField> SettingsLogFields(const Settings& settings);

// The log format asked for by --log-format or HOOKD_LOG_FORMAT, for reporting a failure of
// ParseSettings in that format; text when neither says json.
LogFormat RequestedLogFormat(const std::vector<std::string>& args, const GetEnv& getenv);

}  // namespace hookd
