#include "common/http_errors.h"

#include "common/json_limits.h"

namespace hookd {

int HttpStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk:
      return 200;
    case ErrorKind::kMalformed:
      return 400;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kMethodNotAllowed:
      return 405;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kUnsupportedMedia:
      return 415;
    case ErrorKind::kInvalidField:
      return 422;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r =
      JsonResponse(HttpStatusFor(status.kind()),
                   {{"error", {{"code", status.code()}, {"message", status.message()}}}});
  if (status.retry_after_seconds() > 0)
    r.headers.emplace_back("Retry-After", std::to_string(status.retry_after_seconds()));
  return r;
}

}  // namespace hookd
