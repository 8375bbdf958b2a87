// ApiClient: the command line's blocking calls to a running hookd (cpp-httplib), with the URL and
// token from --url/--token, else HOOKD_URL/HOOKD_TOKEN, else ~/.config/hookd/config (written by
// `hookd login`), else http://127.0.0.1:8080 and no token. Not thread-safe (one per command).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cli_args.h"
#include "common/result.h"

namespace httplib {
class Client;
}

namespace hookd::cli {

using GetEnv = std::function<const char*(const char*)>;

struct ClientConfig {
  std::string url = "http://127.0.0.1:8080";
  std::string token;
};

// The config file's path: $XDG_CONFIG_HOME/hookd/config, else $HOME/.config/hookd/config.
std::string ConfigPath(const GetEnv& getenv);
// --url/--token, else the environment, else the config file, else the defaults.
ClientConfig LoadConfig(const Args& args, const GetEnv& getenv);

struct Answer {
  int status = 0;
  std::string body;
};

class ApiClient {
 public:
  explicit ApiClient(ClientConfig config);
  ~ApiClient();

  // The answer, whatever its status; an error only when hookd could not be reached.
  Result<Answer> Call(const std::string& method, const std::string& path, const std::string& body,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      bool with_token = true);
  const ClientConfig& config() const { return config_; }

 private:
  ClientConfig config_;
  std::unique_ptr<httplib::Client> client_;
};

// `s` with every byte other than letters, digits, "-_.~" and those in `keep` percent-encoded: a
// path segment (an id or uid as given) or a query value.
std::string PercentEncode(const std::string& s, std::string_view keep = "");

// "<code>: <message>" of hookd's JSON error body, else "HTTP <status>".
std::string DescribeError(const Answer& a);

}  // namespace hookd::cli
