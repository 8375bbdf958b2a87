#include "cli/api_client.h"

#include <httplib.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace hookd::cli {
namespace {

// "key=value" lines of the config file (url, token); missing file: nothing.
void ReadConfigFile(const std::string& path, ClientConfig& c, bool want_url, bool want_token) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "url" && want_url) c.url = value;
    if (key == "token" && want_token) c.token = value;
  }
}

}  // namespace

std::string ConfigPath(const GetEnv& getenv) {
  if (const char* xdg = getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::string(xdg) + "/hookd/config";
  const char* home = getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/hookd/config";
}

ClientConfig LoadConfig(const Args& args, const GetEnv& getenv) {
  ClientConfig c;
  std::optional<std::string> url = args.Get("--url"), token = args.Get("--token");
  if (!url)
    if (const char* v = getenv("HOOKD_URL"); v && *v) url = v;
  if (!token)
    if (const char* v = getenv("HOOKD_TOKEN"); v && *v) token = v;
  if (!url || !token) ReadConfigFile(ConfigPath(getenv), c, !url, !token);
  if (url) c.url = *url;
  if (token) c.token = *token;
  while (c.url.ends_with('/')) c.url.pop_back();
  return c;
}

ApiClient::ApiClient(ClientConfig config)
    : config_(std::move(config)), client_(std::make_unique<httplib::Client>(config_.url)) {
  client_->set_connection_timeout(5);
  client_->set_read_timeout(30);
}

ApiClient::~ApiClient() = default;

Result<Answer> ApiClient::Call(const std::string& method, const std::string& path,
                               const std::string& body,
                               std::vector<std::pair<std::string, std::string>> headers,
                               bool with_token) {
  if (!client_->is_valid())
    return Status::InvalidField("--url must be http://host[:port] or https://host[:port], got \"" +
                                config_.url + "\"");
  httplib::Headers h;
  for (auto& [k, v] : headers) h.emplace(k, v);
  if (with_token && !config_.token.empty()) h.emplace("Authorization", "Bearer " + config_.token);
  httplib::Result r = method == "GET"      ? client_->Get(path, h)
                      : method == "DELETE" ? client_->Delete(path, h)
                                           : client_->Post(path, h, body, "application/json");
  if (!r)
    return Status::Unavailable("cannot reach hookd at " + config_.url + " (" +
                               httplib::to_string(r.error()) + " error)");
  return Answer{r->status, r->body};
}

std::string PercentEncode(const std::string& s, std::string_view keep) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        keep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string DescribeError(const Answer& a) {
  const nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    return e.value("code", std::string("error")) + ": " + e.value("message", std::string());
  }
  return "HTTP " + std::to_string(a.status);
}

}  // namespace hookd::cli
