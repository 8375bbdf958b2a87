// Status: the one error type inside hookd.
//
// A Status is either OK or an error made of a Kind (which the HTTP edge maps to a status code in
// one place, common/http_errors.h), a stable machine code such as "invalid_signature" (the
// `error.code` of API.md's JSON error shape) and a human message. Immutable value; thread-safe to
// copy and read.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace hookd {

enum class ErrorKind {
  kOk,
  kMalformed,         // 400
  kUnauthenticated,   // 401
  kForbidden,         // 403
  kNotFound,          // 404
  kMethodNotAllowed,  // 405
  kConflict,          // 409
  kTooLarge,          // 413
  kUnsupportedMedia,  // 415
  kInvalidField,      // 422
  kRateLimited,       // 429
  kUnavailable,       // 503
  kInternal,          // 500
};

class Status {
 public:
  Status() = default;
  Status(ErrorKind kind, std::string code, std::string message)
      : kind_(kind), code_(std::move(code)), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status Malformed(std::string code, std::string msg) {
    return {ErrorKind::kMalformed, std::move(code), std::move(msg)};
  }
  static Status Unauthenticated(std::string code, std::string msg) {
    return {ErrorKind::kUnauthenticated, std::move(code), std::move(msg)};
  }
  static Status NotFound(std::string msg) {
    return {ErrorKind::kNotFound, "not_found", std::move(msg)};
  }
  static Status Conflict(std::string code, std::string msg) {
    return {ErrorKind::kConflict, std::move(code), std::move(msg)};
  }
  static Status InvalidField(std::string msg) {
    return {ErrorKind::kInvalidField, "invalid_field", std::move(msg)};
  }
  static Status Unavailable(std::string msg) {
    return {ErrorKind::kUnavailable, "unavailable", std::move(msg)};
  }
  static Status Internal(std::string msg) {
    return {ErrorKind::kInternal, "internal", std::move(msg)};
  }

  bool ok() const { return kind_ == ErrorKind::kOk; }
  ErrorKind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "ok" : code_ + ": " + message_; }
  // Seconds the client should wait before trying again (sent as Retry-After), 0 for none.
  int64_t retry_after_seconds() const { return retry_after_seconds_; }
  Status& WithRetryAfter(int64_t seconds) {
    retry_after_seconds_ = seconds;
    return *this;
  }

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string code_;
  std::string message_;
  int64_t retry_after_seconds_ = 0;
};

}  // namespace hookd
