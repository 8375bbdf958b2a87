// Running a PostgreSQL transaction again when it lost a race (docs/DECISIONS.md, "PostgreSQL:
// the stores over a PgPool").
//
// A serialization failure or a deadlock (code retry_transaction, IsPgRetryable) means the whole
// transaction was rolled back and may simply be run again. The stores do that a bounded number of
// times themselves; what still fails is returned as it is, a kUnavailable that the HTTP edge
// answers 503. Pure; thread-safe.
#pragma once

#include "storage/pg/pg_error.h"

namespace hookd {

// Attempts in all, the first included.
inline constexpr int kPgTransactionAttempts = 3;

// Calls `attempt` (which runs one whole transaction and returns a Status or a Result) until it
// does not fail with retry_transaction, at most `max_attempts` times; returns the last outcome.
template <typename Attempt>
auto RetryPgTransaction(Attempt&& attempt, int max_attempts = kPgTransactionAttempts)
    -> decltype(attempt()) {
  auto outcome = attempt();
  for (int i = 1; i < max_attempts; ++i) {
    if constexpr (requires { outcome.status(); }) {
      if (outcome.ok() || !IsPgRetryable(outcome.status())) break;
    } else {
      if (outcome.ok() || !IsPgRetryable(outcome)) break;
    }
    outcome = attempt();
  }
  return outcome;
}

}  // namespace hookd
