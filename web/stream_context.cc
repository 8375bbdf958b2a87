#include "web/stream_context.h"

namespace hookd {

Result<std::optional<std::string>> StreamContext::Authenticate(const HttpRequest& req) const {
  if (app_probe_ && app_probe_(req)) {
    if (!app_auth_) return Status::Unauthenticated("unauthorized", "no authenticator configured");
    auto app = app_auth_(req);
    if (!app.ok()) return app.status();
    return std::optional<std::string>(*app);
  }
  if (Status s = auth(req); !s.ok()) return s;
  return std::optional<std::string>();
}

CredentialCheck StreamContext::BindCredential(const HttpRequest& req) const {
  HttpRequest credential;
  credential.remote_address = req.remote_address;
  for (const char* name : {"authorization", "cookie"}) {
    for (std::string_view value : req.headers.GetAll(name))
      credential.headers.Add(name, std::string(value));
  }
  if (app_probe_ && app_probe_(credential)) {
    const StreamAppAuth& check = app_recheck_ ? app_recheck_ : app_auth_;
    return [check, credential = std::move(credential)] {
      if (!check) return Status::Unauthenticated("unauthorized", "no authenticator configured");
      auto app = check(credential);
      return app.ok() ? Status::Ok() : app.status();
    };
  }
  const StreamAuth& check = recheck_ ? recheck_ : auth;
  return [check, credential = std::move(credential)] { return check(credential); };
}

}  // namespace hookd
