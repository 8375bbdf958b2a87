// Router: the table of routes that slices register on, matched by method and path pattern
// ("/api/v1/sources/:id"). Framework-neutral: it sees HttpRequest and answers through a Reply.
//
// Register every route before serving; after that Dispatch is thread-safe (read-only).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/http_types.h"
#include "common/result.h"
#include "common/status.h"

namespace hookd {

// Sends the response. Call exactly once, from any thread (the group-commit writer answers
// from its own thread after the commit).
using Reply = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(HttpRequest&, Reply)>;
using SyncHandler = std::function<HttpResponse(HttpRequest&)>;
// Decides whether a request may use an admin route; a non-OK Status becomes the response.
using Authenticator = std::function<Status(const HttpRequest&)>;
// For a request with an application token: the application it reaches, or the refusal.
using AppAuthenticator = std::function<Result<std::string>(const HttpRequest&)>;
// Whether a request carries an application token (and so goes to the AppAuthenticator).
using AppTokenProbe = std::function<bool(const HttpRequest&)>;

// kAdmin: the admin token or a session. kApp: those, or an application token, which the router
// checks and names in req.principal_app (the route then serves that application only). An
// application token on a kAdmin route is 403 forbidden.
enum class Access { kPublic, kAdmin, kApp };

class Router {
 public:
  void Add(std::string method, std::string pattern, Access access, AsyncHandler handler);
  void Add(std::string method, std::string pattern, Access access, SyncHandler handler);
  void SetAuthenticator(Authenticator auth) { auth_ = std::move(auth); }
  void SetAppAuthenticator(AppTokenProbe probe, AppAuthenticator auth) {
    app_probe_ = std::move(probe);
    app_auth_ = std::move(auth);
  }

  // Finds the route, fills req.params, checks access and runs the handler. Unknown paths answer
  // 404, a known path with another method 405, a handler that throws 500; all as JSON errors.
  void Dispatch(HttpRequest& req, const Reply& reply) const;

  // Every route as registered: its method and pattern ("GET", "/api/v1/sources/:id"), in
  // registration order.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // ":name" captures a segment
    Access access;
    AsyncHandler handler;
  };
  // Checks the request's credential for `access`; sets req.principal_app for an app token.
  Status Authorize(Access access, HttpRequest& req) const;

  std::vector<Route> routes_;
  Authenticator auth_;
  AppTokenProbe app_probe_;
  AppAuthenticator app_auth_;
};

}  // namespace hookd
