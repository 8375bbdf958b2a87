// Router::Dispatch over hookd's route table, and ParseListParams on the query. Input: the method
// on the first line, the path on the second, then "Name: value" header lines, an empty line and
// "key=value" query lines (already decoded, as the HTTP adapter hands them over).
#include <cstdint>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/api_helpers.h"
#include "common/router.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace hookd;

// The patterns hookd registers (ingest/, deliver/, web/, app/), plus one whose handler throws.
const char* const kRoutes[][2] = {
    {"GET", "/"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
    {"POST", "/ingest/:source_id"},
    {"GET", "/api/v1/info"},
    {"POST", "/api/v1/session"},
    {"DELETE", "/api/v1/session"},
    {"GET", "/api/v1/sources"},
    {"POST", "/api/v1/sources"},
    {"GET", "/api/v1/sources/:id"},
    {"PATCH", "/api/v1/sources/:id"},
    {"DELETE", "/api/v1/sources/:id"},
    {"POST", "/api/v1/sources/:id/rotate-secret"},
    {"GET", "/api/v1/events"},
    {"GET", "/api/v1/events/:id"},
    {"GET", "/api/v1/endpoints"},
    {"GET", "/api/v1/endpoints/:id"},
    {"PATCH", "/api/v1/endpoints/:id"},
    {"DELETE", "/api/v1/endpoints/:id"},
    {"POST", "/api/v1/endpoints/:id/enable"},
    {"POST", "/api/v1/endpoints/:id/recover"},
    {"POST", "/api/v1/endpoints/:id/rotate-secret"},
    {"GET", "/api/v1/messages"},
    {"GET", "/api/v1/messages/:id"},
    {"POST", "/api/v1/messages"},
    {"GET", "/api/v1/deliveries/:id"},
    {"POST", "/api/v1/deliveries/:id/retry"},
    {"GET", "/throw/:what"},
};

// The path's non-empty segments, as the router splits it.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// What the last handler saw; reset for every input.
struct Hit {
  int route = -1;
  std::map<std::string, std::string> params;
  bool authorized = false;
};
Hit g_hit;

bool Authorized(const HttpRequest& req) {
  const auto auth = req.headers.Get("Authorization");
  return auth && *auth == "Bearer t";
}

bool IsAdmin(std::string_view pattern) {
  return pattern.rfind("/api/", 0) == 0 && pattern != "/api/v1/session";
}

Router MakeRouter() {
  Router r;
  for (int i = 0; i < static_cast<int>(std::size(kRoutes)); ++i) {
    r.Add(kRoutes[i][0], kRoutes[i][1], IsAdmin(kRoutes[i][1]) ? Access::kAdmin : Access::kPublic,
          SyncHandler([i](HttpRequest& req) {
            g_hit.route = i;
            g_hit.params = req.params;
            g_hit.authorized = Authorized(req);
            if (std::string_view(kRoutes[i][1]) == "/throw/:what")
              throw std::runtime_error(req.params.at("what"));
            return HttpResponse{};
          }));
  }
  r.SetAuthenticator([](const HttpRequest& req) {
    return Authorized(req) ? Status::Ok() : Status::Unauthenticated("unauthorized", "no token");
  });
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Router router = MakeRouter();
  std::string_view in = fuzz::AsView(data, size);
  HttpRequest req;
  req.method = std::string(fuzz::TakeLine(in));
  req.path = std::string(fuzz::TakeLine(in));
  fuzz::TakeHeaders(in, req.headers);
  for (std::string_view line : fuzz::Lines(in)) {
    const size_t eq = line.find('=');
    req.query[std::string(line.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1));
  }
  const std::vector<std::string> parts = Segments(req.path);

  g_hit = Hit();
  std::vector<HttpResponse> replies;
  router.Dispatch(req, [&](HttpResponse r) { replies.push_back(std::move(r)); });
  FUZZ_CHECK(replies.size() == 1, "exactly one reply");
  const HttpResponse& r = replies.front();
  // Error bodies echo the method and path: they must stay valid JSON whatever those hold.
  if (r.status != 200) {
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    FUZZ_CHECK(!body.is_discarded() && body.contains("error"), r.body);
  }
  if (g_hit.route < 0) {
    FUZZ_CHECK(r.status == 401 || r.status == 404 || r.status == 405, std::to_string(r.status));
  } else {
    const std::string_view method = kRoutes[g_hit.route][0];
    const std::string_view pattern = kRoutes[g_hit.route][1];
    FUZZ_CHECK(r.status == (pattern == "/throw/:what" ? 500 : 200), std::to_string(r.status));
    FUZZ_CHECK(req.method == method || (method == "GET" && req.method == "HEAD"), req.method);
    FUZZ_CHECK(!IsAdmin(pattern) || g_hit.authorized, "admin routes need the token");
    // The pattern with its captures filled in is the path, segment by segment.
    const std::vector<std::string> pattern_parts = Segments(pattern);
    FUZZ_CHECK(pattern_parts.size() == parts.size(), req.path);
    size_t captures = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (pattern_parts[i][0] == ':') {
        ++captures;
        FUZZ_CHECK(g_hit.params.at(pattern_parts[i].substr(1)) == parts[i], req.path);
      } else {
        FUZZ_CHECK(pattern_parts[i] == parts[i], req.path);
      }
    }
    FUZZ_CHECK(g_hit.params.size() == captures, req.path);
    for (const auto& [name, value] : g_hit.params)
      FUZZ_CHECK(!value.empty() && value.find('/') == std::string::npos, value);
  }

  const Result<ListParams> list = ParseListParams(req);
  if (list.ok()) {
    FUZZ_CHECK(list->limit >= 1 && list->limit <= 500, std::to_string(list->limit));
    FUZZ_CHECK(!list->after || !list->after->empty(), "an empty cursor is no cursor");
  } else {
    FUZZ_CHECK(list.status().kind() == ErrorKind::kInvalidField, list.status().ToString());
  }
  return 0;
}
