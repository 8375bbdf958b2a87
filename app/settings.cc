#include "app/settings.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <string_view>

#include "common/http_types.h"
#include "common/token_strength.h"
#include "common/units.h"

namespace hookd {
namespace {

struct Option {
  const char* flag;
  const char* env;
  const char* default_value;
  const char* help;
  // What --help shows as the default when it is not a value (default_value is then "").
  const char* shown_default = nullptr;
};

constexpr Option kOptions[] = {
    {"--listen", "HOOKD_LISTEN", "127.0.0.1:8080", "address of the HTTP API, ingest and UI"},
    {"--stream-listen", "HOOKD_STREAM_LISTEN", "127.0.0.1:8081",
     "address of the status streams (SSE, WebSocket, long-poll)"},
    {"--dashboard-origin", "HOOKD_DASHBOARD_ORIGIN", "",
     "extra browser origins (comma list, e.g. https://hookd.example.com) allowed on the streams"},
    {"--portal-frame-ancestors", "HOOKD_PORTAL_FRAME_ANCESTORS", "",
     "origins (comma list) whose pages may show the portal in an iframe; none by default"},
    {"--public-url", "HOOKD_PUBLIC_URL", "",
     "the origin browsers use when a reverse proxy serves both listeners under one origin "
     "(e.g. https://hookd.example.com); /api/v1/info then names it as stream_base"},
    {"--stream-max-connections", "HOOKD_STREAM_MAX_CONNECTIONS", "10000",
     "stream connections served at once; more get 503"},
    {"--stream-queue-limit", "HOOKD_STREAM_QUEUE_LIMIT", "1MiB",
     "bytes queued for one stream client before it is dropped as too slow"},
    {"--stream-ping-interval", "HOOKD_STREAM_PING_INTERVAL", "15s",
     "SSE ping comment and WebSocket ping interval"},
    {"--data-dir", "HOOKD_DATA_DIR", "./data", "directory of hookd.db and admin_token"},
    {"--database-url", "HOOKD_DATABASE_URL", "",
     "PostgreSQL for several nodes (postgres://...); not in this build yet, so hookd refuses "
     "to start with it rather than open its own SQLite file",
     "(SQLite in the data dir)"},
    {nullptr, "HOOKD_ADMIN_TOKEN", "(generated)",
     "admin bearer token, at least 24 characters (8 different); generated into "
     "<data-dir>/admin_token when unset"},
    {"--retry-schedule", "HOOKD_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h",
     "delays between delivery attempts"},
    {"--allow-private-targets", "HOOKD_ALLOW_PRIVATE_TARGETS", "false",
     "allow endpoint URLs on private/loopback addresses"},
    {"--delivery-timeout", "HOOKD_DELIVERY_TIMEOUT", "15s", "deadline of one delivery attempt"},
    {"--listen-grace", "HOOKD_LISTEN_GRACE", "1m",
     "how long a hookd listen endpoint waits for its command to reconnect before it is removed"},
    {"--disable-after", "HOOKD_DISABLE_AFTER", "5d",
     "disable an endpoint that has failed this long without a success"},
    {"--max-inflight", "HOOKD_MAX_INFLIGHT", "2048",
     "delivery attempts in flight at once, all endpoints together"},
    {"--max-body", "HOOKD_MAX_BODY", "1MiB", "largest accepted request body"},
    {"--http-threads", "HOOKD_HTTP_THREADS", "2", "HTTP server threads"},
    {"--header-timeout", "HOOKD_HEADER_TIMEOUT", "10s",
     "close a connection whose request headers are not complete in this time"},
    {"--body-timeout", "HOOKD_BODY_TIMEOUT", "30s",
     "close a connection whose request body is not complete this long after its headers"},
    {"--keepalive-timeout", "HOOKD_KEEPALIVE_TIMEOUT", "60s",
     "close a keep-alive connection idle this long"},
    {"--write-timeout", "HOOKD_WRITE_TIMEOUT", "60s",
     "close a connection whose answer is not all written in this time (the client does not read)"},
    {"--max-connections", "HOOKD_MAX_CONNECTIONS", "10000",
     "HTTP connections served at once (lowered to fit the open-file limit); more get 503"},
    {"--request-buffer-budget", "HOOKD_REQUEST_BUFFER_BUDGET", "64MiB",
     "bytes held for unfinished requests across all connections; past it, 503"},
    {"--sqlite-synchronous", "HOOKD_SQLITE_SYNCHRONOUS", "FULL",
     "SQLite synchronous level: FULL or NORMAL (docs/DECISIONS.md)"},
    {"--roles", "HOOKD_ROLES", "ingest,api,deliver", "roles this process runs"},
    {"--session-idle", "HOOKD_SESSION_IDLE", "12h",
     "a browser session ends after this long unused"},
    {"--session-max-age", "HOOKD_SESSION_MAX_AGE", "7d",
     "a browser session ends this long after sign-in in any case"},
    {"--secure-cookies", "HOOKD_SECURE_COOKIES", "false",
     "always mark the session cookie Secure (it is when X-Forwarded-Proto is https)"},
    {"--retention", "HOOKD_RETENTION", "30d",
     "prune events, messages, deliveries and attempts older than this (off: keep everything)"},
    {"--retention-status-log", "HOOKD_RETENTION_STATUS_LOG", "",
     "prune status-log entries older than this (off: keep everything)", "(HOOKD_RETENTION)"},
    {"--retention-interval", "HOOKD_RETENTION_INTERVAL", "1m",
     "how often the pruner looks for rows past their retention"},
    {"--log-level", "HOOKD_LOG_LEVEL", "info",
     "debug, info, warn or error: lines below it are left out"},
    {"--log-format", "HOOKD_LOG_FORMAT", "text",
     "text (time level message key=value...) or json (one object per line)"},
    {"--access-log", "HOOKD_ACCESS_LOG", "false",
     "log one line per HTTP request (method, path, status, bytes, duration, request id, client)"},
    {"--metrics-per-id", "HOOKD_METRICS_PER_ID", "false",
     "label /metrics by source and endpoint id (the label sets then grow with them)"},
    {nullptr, "HOOKD_METRICS_TOKEN", "",
     "bearer token /metrics then requires (same rules as "
     "HOOKD_ADMIN_TOKEN)",
     "(none: /metrics is open)"},
};

// The shortest exact spelling: 30d, 12h, 1m, 15s, 250ms.
std::string FormatDuration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  for (auto [unit, size] : {std::pair{"d", 86400000LL}, std::pair{"h", 3600000LL},
                            std::pair{"m", 60000LL}, std::pair{"s", 1000LL}}) {
    if (ms != 0 && ms % size == 0) return std::to_string(ms / size) + unit;
  }
  return std::to_string(ms) + "ms";
}

bool IsBoolFlag(const std::string& key) {
  return key == "--allow-private-targets" || key == "--secure-cookies" || key == "--access-log" ||
         key == "--metrics-per-id";
}

// "off" keeps everything; otherwise a duration of at least one second.
Result<std::optional<std::chrono::milliseconds>> ParseRetention(const std::string& value) {
  if (EqualsIgnoreCase(value, "off")) return std::optional<std::chrono::milliseconds>();
  auto d = ParseDuration(value);
  if (!d.ok() || d->count() < 1000)
    return Status::InvalidField(
        "a duration of at least 1s (e.g. 30d, 12h), or off to keep "
        "everything; got \"" +
        value + "\"");
  return std::optional<std::chrono::milliseconds>(*d);
}

// "http(s)://host[:port]", nothing after it.
bool IsOrigin(const std::string& origin) {
  const auto scheme_end = origin.find("://");
  return (origin.starts_with("http://") || origin.starts_with("https://")) &&
         origin.size() > scheme_end + 3 && origin.find('/', scheme_end + 3) == std::string::npos;
}

// `name` is where the value came from (the flag, or its HOOKD_* variable): errors name it.
Status Apply(Settings& s, const std::string& key, const std::string& name,
             const std::string& value) {
  auto fail = [&](const Status& st) { return Status::InvalidField(name + ": " + st.message()); };
  if (key == "--listen" || key == "--stream-listen") {
    auto a = ParseListenAddress(value);
    if (!a.ok()) return fail(a.status());
    (key == "--listen" ? s.listen : s.stream_listen) = *a;
  } else if (key == "--dashboard-origin" || key == "--portal-frame-ancestors") {
    std::vector<std::string>& list =
        key == "--dashboard-origin" ? s.dashboard_origins : s.portal_frame_ancestors;
    list.clear();
    size_t start = 0;
    while (start < value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string origin = value.substr(start, comma - start);
      start = comma + 1;
      if (origin.empty()) continue;
      if (!IsOrigin(origin))
        return Status::InvalidField(name + ": origins are scheme://host[:port], got \"" + origin +
                                    "\"");
      list.push_back(origin);
    }
  } else if (key == "--public-url") {
    if (!value.empty() && !IsOrigin(value))
      return Status::InvalidField(name + ": scheme://host[:port] without a path, got \"" + value +
                                  "\"");
    s.public_url = value;
  } else if (key == "--stream-max-connections") {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > 1000000)
      return Status::InvalidField(name + ": an integer from 1 to 1000000");
    s.stream_max_connections = n;
  } else if (key == "--stream-queue-limit") {
    auto n = ParseSize(value);
    if (!n.ok()) return fail(n.status());
    if (*n < 4096 || *n > (256ULL << 20)) return Status::InvalidField(name + ": 4KiB to 256MiB");
    s.stream_queue_limit = *n;
  } else if (key == "--stream-ping-interval") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() < 100 || d->count() > 3600 * 1000)
      return Status::InvalidField(name + ": 100ms to 1h");
    s.stream_ping_interval = *d;
  } else if (key == "--database-url") {
    // The value may hold a password: the error does not repeat it.
    if (!value.empty() && !value.starts_with("postgres://") && !value.starts_with("postgresql://"))
      return Status::InvalidField(name +
                                  ": a postgres:// or postgresql:// URL (libpq's URI syntax)");
    s.database_url = value;
  } else if (key == "--data-dir") {
    if (value.empty()) return Status::InvalidField(name + ": must not be empty");
    s.data_dir = value;
  } else if (key == "--retry-schedule") {
    auto d = ParseDurationList(value);
    if (!d.ok()) return fail(d.status());
    s.retry_schedule = *d;
  } else if (IsBoolFlag(key)) {
    auto b = ParseBool(value);
    if (!b.ok()) return fail(b.status());
    (key == "--secure-cookies"   ? s.secure_cookies
     : key == "--access-log"     ? s.access_log
     : key == "--metrics-per-id" ? s.metrics_per_id
                                 : s.allow_private_targets) = *b;
  } else if (key == "--log-level") {
    auto level = ParseLogLevel(value);
    if (!level) return Status::InvalidField(key + ": debug, info, warn or error");
    s.log_level = *level;
  } else if (key == "--log-format") {
    auto format = ParseLogFormat(value);
    if (!format) return Status::InvalidField(key + ": text or json");
    s.log_format = *format;
  } else if (key == "--session-idle" || key == "--session-max-age") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    // Whole seconds (the cookie's Max-Age), from a minute (the last-seen write interval) to a
    // year.
    if (*d < std::chrono::minutes(1) || *d > std::chrono::hours(24 * 366) || d->count() % 1000)
      return Status::InvalidField(name + ": whole seconds from 1m to 366d");
    (key == "--session-idle" ? s.session_idle : s.session_max_age) = *d;
  } else if (key == "--listen-grace") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() < 1000 || d->count() > 24 * 3600 * 1000)
      return Status::InvalidField(name + ": 1s to 24h");
    s.listen_grace = *d;
  } else if (key == "--delivery-timeout") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() <= 0) return Status::InvalidField(name + ": must be positive");
    s.delivery_timeout = *d;
  } else if (key == "--disable-after") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() <= 0) return Status::InvalidField(name + ": must be positive");
    s.disable_after = *d;
  } else if (key == "--max-body") {
    auto n = ParseSize(value);
    if (!n.ok()) return fail(n.status());
    if (*n < 1024 || *n > (64ULL << 20)) return Status::InvalidField(name + ": 1KiB to 64MiB");
    s.max_body = *n;
  } else if (key == "--max-inflight") {
    int n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > 100000)
      return Status::InvalidField(name + ": an integer from 1 to 100000");
    s.max_inflight = n;
  } else if (key == "--http-threads") {
    int n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > 64)
      return Status::InvalidField(name + ": an integer from 1 to 64");
    s.http_threads = n;
  } else if (key == "--header-timeout" || key == "--body-timeout" || key == "--keepalive-timeout" ||
             key == "--write-timeout") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() < 100 || *d > std::chrono::hours(1))
      return Status::InvalidField(name + ": 100ms to 1h");
    (key == "--header-timeout"  ? s.header_timeout
     : key == "--body-timeout"  ? s.body_timeout
     : key == "--write-timeout" ? s.write_timeout
                                : s.keepalive_timeout) = *d;
  } else if (key == "--max-connections") {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > 1000000)
      return Status::InvalidField(name + ": an integer from 1 to 1000000");
    s.max_connections = n;
  } else if (key == "--request-buffer-budget") {
    auto n = ParseSize(value);
    if (!n.ok()) return fail(n.status());
    if (*n < (1ULL << 20) || *n > (64ULL << 30))
      return Status::InvalidField(name + ": 1MiB to 64GiB");
    s.request_buffer_budget = *n;
  } else if (key == "--sqlite-synchronous") {
    if (value != "FULL" && value != "NORMAL")
      return Status::InvalidField(name + ": FULL or NORMAL");
    s.sqlite_synchronous = value;
  } else if (key == "--roles") {
    s.roles.clear();
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string role = value.substr(start, comma - start);
      if (role != "ingest" && role != "api" && role != "deliver")
        return Status::InvalidField(name + ": roles are ingest, api, deliver");
      s.roles.insert(role);
      start = comma + 1;
    }
  } else if (key == "--retention" || key == "--retention-status-log") {
    if (value.empty() && key == "--retention-status-log") return Status::Ok();  // as --retention
    auto r = ParseRetention(value);
    if (!r.ok()) return fail(r.status());
    (key == "--retention" ? s.retention : s.retention_status_log) = *r;
  } else if (key == "--retention-interval") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() < 100) return Status::InvalidField(name + ": at least 100ms");
    s.retention_interval = *d;
  } else {
    return Status::InvalidField("unknown flag " + key + " (see hookd serve --help)");
  }
  return Status::Ok();
}

}  // namespace

std::string ListenAddress::ToString() const {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Status::InvalidField("expected host:port, got \"" + text + "\"");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  // Brackets only around the whole host: "[[x]]:1" would leave a host that prints as "[x]:1".
  if (host.find_first_of("[]") != std::string::npos)
    return Status::InvalidField("bad host in \"" + text + "\"");
  const std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    return Status::InvalidField("bad port in \"" + text + "\"");
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

Result<Settings> ParseSettings(const std::vector<std::string>& args, const GetEnv& getenv) {
  Settings s;
  // Defaults first, then the environment, then flags: later sources override earlier ones.
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> names;  // flag -> where its value came from, for errors
  for (const Option& o : kOptions) {
    if (!o.flag) continue;
    values[o.flag] = o.default_value;
    names[o.flag] = o.flag;
    if (const char* v = getenv(o.env)) {
      values[o.flag] = v;
      names[o.flag] = o.env;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string key = args[i], value;
    const auto eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    // An unknown flag is named as such, whether or not a value follows it.
    if (!values.count(key))
      return Status::InvalidField("unknown flag " + key + " (see hookd serve --help)");
    if (eq != std::string::npos) {
    } else if (IsBoolFlag(key)) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidField(key + " needs a value");
    }
    values[key] = value;
    names[key] = key;
  }
  for (const auto& [key, value] : values) {
    if (Status st = Apply(s, key, names[key], value); !st.ok()) return st;
  }
  if (values["--retention-status-log"].empty()) s.retention_status_log = s.retention;
  if (const char* t = getenv("HOOKD_ADMIN_TOKEN")) s.admin_token = t;
  if (!s.admin_token.empty()) {
    if (Status st = CheckAdminTokenStrength(s.admin_token, "HOOKD_ADMIN_TOKEN"); !st.ok())
      return st;
  }
  if (const char* t = getenv("HOOKD_METRICS_TOKEN")) s.metrics_token = t;
  if (!s.metrics_token.empty()) {
    if (Status st = CheckAdminTokenStrength(s.metrics_token, "HOOKD_METRICS_TOKEN"); !st.ok())
      return st;
  }
  return s;
}

std::string SettingsHelp() {
  // Columns as wide as their longest entry plus two spaces, so no two run together.
  size_t flag_width = 0, env_width = 0;
  for (const Option& o : kOptions) {
    flag_width = std::max(flag_width, std::string_view(o.flag ? o.flag : "").size());
    env_width = std::max(env_width, std::string_view(o.env).size());
  }
  std::string out = "Settings (flag, environment variable, default):\n";
  for (const Option& o : kOptions) {
    const std::string_view flag = o.flag ? o.flag : "";
    const std::string_view env = o.env;
    out += "  " + std::string(flag) + std::string(flag_width + 2 - flag.size(), ' ') +
           std::string(env) + std::string(env_width + 2 - env.size(), ' ') +
           (o.shown_default ? o.shown_default : o.default_value) + "\n      " + o.help + "\n";
  }
  return out;
}

}  // namespace hookd

namespace hookd {

std::vector<LogField> SettingsLogFields(const Settings& s) {
  auto join = [](const auto& items, auto format) {
    std::string out;
    for (const auto& item : items) {
      if (!out.empty()) out += ',';
      out += format(item);
    }
    return out;
  };
  auto same = [](const std::string& v) { return v; };
  auto retention = [](const std::optional<std::chrono::milliseconds>& r) {
    return r ? FormatDuration(*r) : std::string("off");
  };
  return {
      {"listen", s.listen.ToString()},
      {"stream_listen", s.stream_listen.ToString()},
      {"roles", join(s.roles, same)},
      {"data_dir", s.data_dir},
      {"database", s.database_url.empty() ? "sqlite" : "postgresql"},
      // Never the token itself: where it comes from.
      {"admin_token", s.admin_token.empty() ? "(data dir)" : "***"},
      {"public_url", s.public_url},
      {"dashboard_origins", join(s.dashboard_origins, same)},
      {"portal_frame_ancestors", join(s.portal_frame_ancestors, same)},
      {"retry_schedule",
       s.retry_schedule.empty() ? std::string("default") : join(s.retry_schedule, FormatDuration)},
      {"allow_private_targets", s.allow_private_targets},
      {"delivery_timeout", FormatDuration(s.delivery_timeout)},
      {"listen_grace", FormatDuration(s.listen_grace)},
      {"disable_after", FormatDuration(s.disable_after)},
      {"max_inflight", s.max_inflight},
      {"max_body", s.max_body},
      {"http_threads", s.http_threads},
      {"max_connections", s.max_connections},
      {"stream_max_connections", s.stream_max_connections},
      {"sqlite_synchronous", s.sqlite_synchronous},
      {"retention", retention(s.retention)},
      {"retention_status_log", retention(s.retention_status_log)},
      {"secure_cookies", s.secure_cookies},
      {"log_level", LogLevelName(s.log_level)},
      {"log_format", s.log_format == LogFormat::kJson ? "json" : "text"},
      {"access_log", s.access_log},
  };
}

LogFormat RequestedLogFormat(const std::vector<std::string>& args, const GetEnv& getenv) {
  std::optional<LogFormat> format;
  if (const char* v = getenv("HOOKD_LOG_FORMAT")) format = ParseLogFormat(v);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-format" && i + 1 < args.size())
      format = ParseLogFormat(args[i + 1]);
    else if (args[i].starts_with("--log-format="))
      format = ParseLogFormat(args[i].substr(13));
  }
  return format.value_or(LogFormat::kText);
}

}  // namespace hookd
