#include "storage/pg/pg_error.h"

#include <string>

namespace hookd {

Status PgErrorStatus(std::string_view sqlstate, std::string_view what, std::string_view message) {
  std::string msg(what);
  msg += ": ";
  msg += message;
  if (!sqlstate.empty()) {
    msg += " (SQLSTATE ";
    msg += sqlstate;
    msg += ")";
  }
  if (sqlstate == "23505") return Status::Conflict("unique_violation", std::move(msg));
  if (sqlstate == "40001" || sqlstate == "40P01")
    return Status(ErrorKind::kUnavailable, std::string(kPgRetryCode), std::move(msg));
  // No SQLSTATE: libpq's own error (the connection is gone or was never made).
  if (sqlstate.empty() || sqlstate.substr(0, 2) == "08" || sqlstate.substr(0, 3) == "57P" ||
      sqlstate == "53300")
    return Status::Unavailable(std::move(msg));
  if (sqlstate.substr(0, 2) == "22") return Status::InvalidField(std::move(msg));
  return Status::Internal(std::move(msg));
}

}  // namespace hookd
