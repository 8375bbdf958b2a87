// Framework-neutral HTTP request and response values. The Pistache adapter
// (common/http_server.cc) fills HttpRequest and writes HttpResponse; everything else in hookd
// sees only these types. Value types, not thread-safe for concurrent mutation.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd {

// Header list in arrival order with case-insensitive lookup.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // First value whose name matches case-insensitively.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value whose name matches case-insensitively, in arrival order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;  // filled by the router from ":name" segments
  Headers headers;
  std::string body;
  std::string remote_address;  // the peer's IP address (the proxy's, behind one)
  std::string request_id;      // set by the HTTP edge (common/request_id.h)
  // Set by the router when an application token was used: the one application the request may
  // reach (empty for the admin token or a session).
  std::optional<std::string> principal_app;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace hookd
