#include "web/stream_context.h"

namespace hookd {

CredentialCheck StreamContext::BindCredential(const HttpRequest& req) const {
  HttpRequest credential;
  credential.remote_address = req.remote_address;
  for (const char* name : {"authorization", "cookie"}) {
    for (std::string_view value : req.headers.GetAll(name))
      credential.headers.Add(name, std::string(value));
  }
  const StreamAuth& check = recheck_ ? recheck_ : auth;
  return [check, credential = std::move(credential)] { return check(credential); };
}

}  // namespace hookd
