// How PostgreSQL's errors become hookd's Status (the SQLSTATE decides the kind).
//
//   23505 unique_violation                  -> kConflict, code "unique_violation"
//   40001 serialization_failure,
//   40P01 deadlock_detected                 -> kUnavailable, code "retry_transaction": the
//                                              transaction lost a race; run it again
//   08xxx connection exceptions, a lost or
//   never made connection, 57P0x shutdown   -> kUnavailable, code "unavailable"
//   22xxx data exceptions (bad encoding,
//   a value out of range)                   -> kInvalidField
//   anything else                           -> kInternal
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "common/status.h"

namespace hookd {

inline constexpr std::string_view kPgRetryCode = "retry_transaction";

// The Status for an error with this SQLSTATE ("" when the server sent none: the connection is
// gone) and message; `what` names the operation ("query", "commit", ...).
Status PgErrorStatus(std::string_view sqlstate, std::string_view what, std::string_view message);

// True when the whole transaction may simply be run again (serialization failure, deadlock).
inline bool IsPgRetryable(const Status& s) { return s.code() == kPgRetryCode; }

}  // namespace hookd
