#include "common/router.h"

#include <exception>

#include "common/http_errors.h"

namespace hookd {
namespace {

std::vector<std::string> Split(std::string_view path) {
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

}  // namespace

void Router::Add(std::string method, std::string pattern, Access access, AsyncHandler handler) {
  std::vector<std::string> segments = Split(pattern);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), access, std::move(handler)});
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

void Router::Add(std::string method, std::string pattern, Access access, SyncHandler handler) {
  Add(std::move(method), std::move(pattern), access,
      AsyncHandler([h = std::move(handler)](HttpRequest& req, Reply reply) { reply(h(req)); }));
}

Status Router::Authorize(Access access, HttpRequest& req) const {
  req.principal_app.reset();  // only ever set here
  if (app_probe_ && app_probe_(req)) {
    if (!app_auth_) return Status::Unauthenticated("unauthorized", "no authenticator configured");
    auto app = app_auth_(req);
    if (!app.ok()) return app.status();
    if (access != Access::kApp)
      return Status(ErrorKind::kForbidden, "forbidden",
                    "an application token reaches only its application's routes");
    req.principal_app = *app;
    return Status::Ok();
  }
  // Fails closed: a protected route without an authenticator is refused.
  return auth_ ? auth_(req)
               : Status::Unauthenticated("unauthorized", "no authenticator configured");
}

void Router::Dispatch(HttpRequest& req, const Reply& reply) const {
  const std::vector<std::string> parts = Split(req.path);
  bool path_matched = false;
  for (const Route& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      if (!r.segments[i].empty() && r.segments[i][0] == ':')
        params[r.segments[i].substr(1)] = parts[i];
      else
        match = r.segments[i] == parts[i];
    }
    if (!match) continue;
    path_matched = true;
    if (r.method != req.method && !(r.method == "GET" && req.method == "HEAD")) continue;
    if (r.access != Access::kPublic) {
      if (Status s = Authorize(r.access, req); !s.ok()) return reply(ErrorResponse(s));
    }
    req.params = std::move(params);
    try {
      r.handler(req, reply);
    } catch (const std::exception& e) {
      reply(ErrorResponse(Status::Internal(std::string("unexpected error: ") + e.what())));
    } catch (...) {
      reply(ErrorResponse(Status::Internal("unexpected error")));
    }
    return;
  }
  if (path_matched)
    return reply(ErrorResponse(
        Status(ErrorKind::kMethodNotAllowed, "method_not_allowed", req.method + " not allowed")));
  reply(ErrorResponse(Status::NotFound("no route for " + req.method + " " + req.path)));
}

}  // namespace hookd
