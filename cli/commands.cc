#include "cli/commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/listen.h"
#include "cli/samples.h"
#include "cli/tail.h"

namespace hookd::cli {
namespace {

using nlohmann::json;

const std::set<std::string> kConnection = {"--url", "--token"};

struct Command {
  std::string usage;
  std::set<std::string> options;  // besides --url, --token, --help, --json
  std::set<std::string> repeatable;
  std::function<int(const Args&, ApiClient&, std::ostream&, std::ostream&)> run;
};

int Fail(std::ostream& err, const std::string& line) {
  err << "hookd: " << line << "\n";
  return 1;
}

// A path segment: an id or uid as given, its reserved bytes escaped.
std::string Segment(const std::string& s) { return PercentEncode(s); }

std::string Prefix(const Args& a) {
  auto app = a.Get("--app");
  return app ? "/api/v1/apps/" + Segment(*app) : "/api/v1";
}

// The answer's JSON when it is 2xx; else the one error line (and nullopt).
std::optional<json> Expect2xx(const Result<Answer>& a, std::ostream& err, int& code) {
  if (!a.ok()) {
    code = Fail(err, a.status().message());
    return std::nullopt;
  }
  if (a->status / 100 != 2) {
    code = Fail(err, DescribeError(*a));
    return std::nullopt;
  }
  json j = json::parse(a->body, nullptr, false);
  if (j.is_discarded()) j = json::object();
  return j;
}

int Send(const Args& a, ApiClient& api, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) return 2;
  std::string data = a.Get("--data").value_or("{}");
  if (data.starts_with("@")) {
    std::ifstream in(data.substr(1), std::ios::binary);
    if (!in) return Fail(err, "cannot read " + data.substr(1));
    std::stringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  const json payload = json::parse(data, nullptr, false);
  if (payload.is_discarded()) return Fail(err, "--data is not JSON");
  std::vector<std::pair<std::string, std::string>> headers;
  if (auto key = a.Get("--idempotency-key")) headers.emplace_back("Idempotency-Key", *key);
  const json body = {{"event_type", a.positional[0]}, {"payload", payload}};
  int code = 0;
  auto j = Expect2xx(api.Call("POST", Prefix(a) + "/messages", body.dump(), headers), err, code);
  if (!j) return code;
  if (a.Has("--json")) {
    out << j->dump() << "\n";
  } else {
    const int n = j->value("deliveries", 0);
    out << j->value("id", std::string()) << " " << j->value("event_type", std::string()) << " -> "
        << n << (n == 1 ? " endpoint" : " endpoints") << "\n";
  }
  return 0;
}

int Trigger(const Args& a, ApiClient& api, std::ostream& out, std::ostream& err, Random& random,
            int64_t now_s) {
  if (a.Has("--list")) {
    for (const SampleInfo& s : SampleList())
      out << s.provider << " " << s.event << "\t" << s.description << "\n";
    return 0;
  }
  if (a.positional.size() != 2 || !a.Has("--source")) return 2;
  int code = 0;
  auto source =
      Expect2xx(api.Call("GET", "/api/v1/sources/" + Segment(*a.Get("--source")), ""), err, code);
  if (!source) return code;
  const std::string provider = source->value("provider", std::string());
  if (provider != a.positional[0])
    return Fail(
        err, "source " + *a.Get("--source") + " verifies " + provider + ", not " + a.positional[0]);
  std::vector<std::pair<std::string, std::string>> overrides;
  if (auto it = a.lists.find("--override"); it != a.lists.end()) {
    for (const std::string& kv : it->second) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) return Fail(err, "--override needs key=value, got " + kv);
      overrides.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  auto sample = MakeSample(provider, a.positional[1], source->value("secret", std::string()), now_s,
                           random, overrides);
  if (!sample.ok()) return Fail(err, sample.status().message());
  const std::string path = source->value("ingest_path", "/ingest/" + Segment(*a.Get("--source")));
  // As the provider sends it: no hookd token, the provider's own headers and signature.
  auto answer = api.Call("POST", path, sample->body, sample->headers, /*with_token=*/false);
  auto j = Expect2xx(answer, err, code);
  if (!j) return code;
  if (a.Has("--json")) {
    out << json{{"event_id", j->value("id", std::string())},
                {"duplicate", j->value("duplicate", false)},
                {"event_type", sample->event_type},
                {"status", answer->status}}
               .dump()
        << "\n";
  } else {
    out << j->value("id", std::string()) << " " << provider << " " << sample->event_type
        << (j->value("duplicate", false) ? " (duplicate)" : " (accepted)") << "\n";
  }
  return 0;
}

int Retry(const Args& a, ApiClient& api, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) return 2;
  int code = 0;
  auto j = Expect2xx(
      api.Call("POST", Prefix(a) + "/deliveries/" + Segment(a.positional[0]) + "/retry", "{}"), err,
      code);
  if (!j) return code;
  out << (a.Has("--json") ? j->dump() : a.positional[0] + " queued for one attempt now") << "\n";
  return 0;
}

int Recover(const Args& a, ApiClient& api, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1 || !a.Has("--since")) return 2;
  int code = 0;
  const json body = {{"since", *a.Get("--since")}};
  auto j =
      Expect2xx(api.Call("POST", Prefix(a) + "/endpoints/" + Segment(a.positional[0]) + "/recover",
                         body.dump()),
                err, code);
  if (!j) return code;
  if (a.Has("--json"))
    out << j->dump() << "\n";
  else
    out << j->value("requeued", 0) << " failed deliveries of " << a.positional[0]
        << " queued again\n";
  return 0;
}

int Login(const Args& a, ApiClient& api, std::ostream& out, std::ostream& err,
          const GetEnv& getenv) {
  if (!a.positional.empty() || api.config().token.empty()) return 2;
  int code = 0;
  auto info = Expect2xx(api.Call("GET", "/api/v1/info", ""), err, code);
  if (!info) return code;
  const std::filesystem::path path = ConfigPath(getenv);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  {
    // Created 0600 before anything is written: the token never sits in a readable file.
    std::ofstream touch(path, std::ios::app);
  }
  if (chmod(path.c_str(), 0600) != 0) return Fail(err, "cannot write " + path.string());
  std::ofstream file(path, std::ios::trunc);
  file << "url=" << api.config().url << "\ntoken=" << api.config().token << "\n";
  if (!file.flush()) return Fail(err, "cannot write " + path.string());
  out << "logged in to " << api.config().url << " (hookd " << info->value("version", "?")
      << "); saved in " << path.string() << "\n";
  return 0;
}

std::map<std::string, Command> Commands(Random& random, int64_t now_s, const GetEnv& getenv) {
  return {
      {"send",
       {"hookd send <event_type> [--data <json> | --data @file] [--app <app>]\n"
        "           [--idempotency-key <key>] [--json]\n"
        "  Publishes a message; prints its id and how many endpoints it went to.\n",
        {"--data", "--app", "--idempotency-key"},
        {},
        Send}},
      {"trigger",
       {"hookd trigger <provider> <event> --source <src_id> [--override key=value]... [--json]\n"
        "hookd trigger --list\n"
        "  Sends a sample event of the provider to the source's ingest URL, signed with the\n"
        "  source's secret as the provider signs (the source is read with the admin token).\n",
        {"--source", "--override", "--list"},
        {"--override"},
        [&random, now_s](const Args& a, ApiClient& api, std::ostream& out, std::ostream& err) {
          return Trigger(a, api, out, err, random, now_s);
        }}},
      {"retry",
       {"hookd retry <dlv_id> [--app <app>] [--json]\n"
        "  Queues one attempt of the delivery now.\n",
        {"--app"},
        {},
        Retry}},
      {"recover",
       {"hookd recover <ep_id> --since <RFC 3339 time> [--app <app>] [--json]\n"
        "  Queues the endpoint's failed deliveries since then again.\n",
        {"--since", "--app"},
        {},
        Recover}},
      {"tail",
       {"hookd tail [--types <pattern,...>] [--endpoint <ep_id>] [--source <src_id>]\n"
        "           [--app <app>] [--after <seq>] [--json]\n"
        "  Follows the status stream, one line per entry (each entry's JSON with --json),\n"
        "  resuming after a dropped connection. Ctrl-C ends it.\n",
        {"--types", "--endpoint", "--source", "--app", "--after"},
        {},
        [](const Args& a, ApiClient& api, std::ostream& out, std::ostream& err) {
          return RunTail(a, api, out, err, isatty(STDOUT_FILENO) == 1);
        }}},
      {"listen",
       {"hookd listen --forward-to <url> [--events <pattern,...>] [--source <src_id>]...\n"
        "             [--app <app>] [--max-concurrency <1-64>] [--json]\n"
        "  Receives real deliveries on this machine: hookd makes a temporary endpoint (kind cli)\n"
        "  and hands its deliveries over a WebSocket; each is POSTed to <url> (e.g.\n"
        "  localhost:3000/webhooks) with hookd's headers and signature, and the answer is\n"
        "  recorded as the attempt. Prints the signing secret, then a line per delivery.\n"
        "  Ctrl-C removes the endpoint; so does hookd when the command is gone for a minute.\n",
        {"--forward-to", "--events", "--source", "--app", "--max-concurrency"},
        {"--source"},
        RunListen}},
      {"login",
       {"hookd login --token <token> [--url <url>]\n"
        "  Checks the token against hookd and keeps the URL and token in ~/.config/hookd/config\n"
        "  (mode 0600) for the other commands.\n",
        {},
        {},
        [getenv](const Args& a, ApiClient& api, std::ostream& out, std::ostream& err) {
          return Login(a, api, out, err, getenv);
        }}},
  };
}

constexpr char kCommonHelp[] =
    "\nEvery command takes --url (HOOKD_URL, default http://127.0.0.1:8080) and --token\n"
    "(HOOKD_TOKEN, an admin or application token), else what `hookd login` saved.\n"
    "Exit codes: 0 done, 1 an error (one line on stderr), 2 a usage error.\n";

}  // namespace

bool IsClientCommand(const std::string& name) {
  return name == "send" || name == "trigger" || name == "retry" || name == "recover" ||
         name == "login" || name == "tail" || name == "listen";
}

int RunClientCommand(const std::string& name, const std::vector<std::string>& words,
                     const GetEnv& getenv, std::ostream& out, std::ostream& err, Random& random,
                     int64_t now_s) {
  const std::map<std::string, Command> cmds = Commands(random, now_s, getenv);
  const Command& cmd = cmds.at(name);
  if (std::find(words.begin(), words.end(), "--help") != words.end() ||
      std::find(words.begin(), words.end(), "-h") != words.end()) {
    out << "Usage:\n  " << cmd.usage << kCommonHelp;
    return 0;
  }
  std::set<std::string> allowed = cmd.options;
  allowed.insert(kConnection.begin(), kConnection.end());
  allowed.insert("--json");
  auto args = ParseArgs(words, allowed, {"--json", "--list"}, cmd.repeatable);
  if (!args.ok()) {
    err << "hookd " << name << ": " << args.status().message() << "\nUsage:\n  " << cmd.usage;
    return 2;
  }
  ApiClient api(LoadConfig(*args, getenv));
  int code = 0;
  try {
    code = cmd.run(*args, api, out, err);
  } catch (const nlohmann::json::exception&) {
    // A 2xx whose JSON is not what hookd answers: --url names something else.
    return Fail(err, "unexpected answer from " + api.config().url + " (is it hookd?)");
  }
  if (code == 2) err << "hookd " << name << ": missing or extra arguments\nUsage:\n  " << cmd.usage;
  return code;
}

}  // namespace hookd::cli
