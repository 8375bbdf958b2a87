// Router: the table of routes that slices register on, matched by method and path pattern
// ("/api/v1/sources/:id"). Framework-neutral: it sees HttpRequest and answers through a Reply.
//
// Register every route before serving; after that Dispatch is thread-safe (read-only).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/http_types.h"
#include "common/status.h"

namespace hookd {

// Sends the response. Call exactly once, from any thread (the group-commit writer answers
// from its own thread after the commit).
using Reply = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(HttpRequest&, Reply)>;
using SyncHandler = std::function<HttpResponse(HttpRequest&)>;
// Decides whether a request may use an admin route; a non-OK Status becomes the response.
using Authenticator = std::function<Status(const HttpRequest&)>;

enum class Access { kPublic, kAdmin };

class Router {
 public:
  void Add(std::string method, std::string pattern, Access access, AsyncHandler handler);
  void Add(std::string method, std::string pattern, Access access, SyncHandler handler);
  void SetAuthenticator(Authenticator auth) { auth_ = std::move(auth); }

  // Finds the route, fills req.params, checks access and runs the handler. Unknown paths answer
  // 404, a known path with another method 405, a handler that throws 500; all as JSON errors.
  void Dispatch(HttpRequest& req, const Reply& reply) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // ":name" captures a segment
    Access access;
    AsyncHandler handler;
  };
  std::vector<Route> routes_;
  Authenticator auth_;
};

}  // namespace hookd
