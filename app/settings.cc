#include "app/settings.h"

#include <charconv>
#include <map>

#include "common/units.h"

namespace hookd {
namespace {

struct Option {
  const char* flag;
  const char* env;
  const char* default_value;
  const char* help;
};

constexpr Option kOptions[] = {
    {"--listen", "HOOKD_LISTEN", "127.0.0.1:8080", "address of the HTTP API, ingest and UI"},
    {"--stream-listen", "HOOKD_STREAM_LISTEN", "127.0.0.1:8081",
     "address of the status streams (SSE, WebSocket, long-poll)"},
    {"--data-dir", "HOOKD_DATA_DIR", "./data", "directory of hookd.db and admin_token"},
    {nullptr, "HOOKD_ADMIN_TOKEN", "(generated)",
     "admin bearer token; generated into <data-dir>/admin_token when unset"},
    {"--retry-schedule", "HOOKD_RETRY_SCHEDULE", "5s,5m,30m,2h,5h,10h,10h",
     "delays between delivery attempts"},
    {"--allow-private-targets", "HOOKD_ALLOW_PRIVATE_TARGETS", "false",
     "allow endpoint URLs on private/loopback addresses"},
    {"--delivery-timeout", "HOOKD_DELIVERY_TIMEOUT", "15s", "deadline of one delivery attempt"},
    {"--disable-after", "HOOKD_DISABLE_AFTER", "5d",
     "disable an endpoint that has failed this long without a success"},
    {"--max-body", "HOOKD_MAX_BODY", "1MiB", "largest accepted request body"},
    {"--http-threads", "HOOKD_HTTP_THREADS", "2", "HTTP server threads"},
    {"--sqlite-synchronous", "HOOKD_SQLITE_SYNCHRONOUS", "FULL",
     "SQLite synchronous level: FULL or NORMAL (docs/DECISIONS.md)"},
    {"--roles", "HOOKD_ROLES", "ingest,api,deliver", "roles this process runs"},
};

Status Apply(Settings& s, const std::string& key, const std::string& value) {
  auto fail = [&](const Status& st) { return Status::InvalidField(key + ": " + st.message()); };
  if (key == "--listen" || key == "--stream-listen") {
    auto a = ParseListenAddress(value);
    if (!a.ok()) return fail(a.status());
    (key == "--listen" ? s.listen : s.stream_listen) = *a;
  } else if (key == "--data-dir") {
    if (value.empty()) return Status::InvalidField(key + ": must not be empty");
    s.data_dir = value;
  } else if (key == "--retry-schedule") {
    auto d = ParseDurationList(value);
    if (!d.ok()) return fail(d.status());
    s.retry_schedule = *d;
  } else if (key == "--allow-private-targets") {
    auto b = ParseBool(value);
    if (!b.ok()) return fail(b.status());
    s.allow_private_targets = *b;
  } else if (key == "--delivery-timeout") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() <= 0) return Status::InvalidField(key + ": must be positive");
    s.delivery_timeout = *d;
  } else if (key == "--disable-after") {
    auto d = ParseDuration(value);
    if (!d.ok()) return fail(d.status());
    if (d->count() <= 0) return Status::InvalidField(key + ": must be positive");
    s.disable_after = *d;
  } else if (key == "--max-body") {
    auto n = ParseSize(value);
    if (!n.ok()) return fail(n.status());
    if (*n < 1024 || *n > (64ULL << 20)) return Status::InvalidField(key + ": 1KiB to 64MiB");
    s.max_body = *n;
  } else if (key == "--http-threads") {
    int n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < 1 || n > 64)
      return Status::InvalidField(key + ": an integer from 1 to 64");
    s.http_threads = n;
  } else if (key == "--sqlite-synchronous") {
    if (value != "FULL" && value != "NORMAL") return Status::InvalidField(key + ": FULL or NORMAL");
    s.sqlite_synchronous = value;
  } else if (key == "--roles") {
    s.roles.clear();
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      std::string role = value.substr(start, comma - start);
      if (role != "ingest" && role != "api" && role != "deliver")
        return Status::InvalidField(key + ": roles are ingest, api, deliver");
      s.roles.insert(role);
      start = comma + 1;
    }
  } else {
    return Status::InvalidField("unknown flag " + key + " (see hookd --help)");
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
  for (const Option& o : kOptions) {
    if (!o.flag) continue;
    values[o.flag] = o.default_value;
    if (const char* v = getenv(o.env)) values[o.flag] = v;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string key = args[i], value;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (key == "--allow-private-targets") {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Status::InvalidField(key + " needs a value");
    }
    if (!values.count(key))
      return Status::InvalidField("unknown flag " + key + " (see hookd --help)");
    values[key] = value;
  }
  for (const auto& [key, value] : values) {
    if (Status st = Apply(s, key, value); !st.ok()) return st;
  }
  if (const char* t = getenv("HOOKD_ADMIN_TOKEN")) s.admin_token = t;
  return s;
}

std::string SettingsHelp() {
  std::string out = "Settings (flag, environment variable, default):\n";
  for (const Option& o : kOptions) {
    out += "  " + std::string(o.flag ? o.flag : "") +
           std::string(24 - (o.flag ? std::string(o.flag).size() : 0), ' ') + o.env +
           std::string(30 - std::string(o.env).size(), ' ') + o.default_value + "\n      " +
           o.help + "\n";
  }
  return out;
}

}  // namespace hookd
