// Sessions: the browser's server-side sessions (API.md, "Auth and errors").
//
// Create() draws a random 256-bit session id from the injected Random; its hex form is the
// cookie's value. The store keeps only the SHA-256 of that value, the fingerprint of the admin
// token that signed in, the creation time and the time last seen, so a copy of the database holds
// no usable cookie. Validate() accepts a value while its session exists, was made under the
// current admin token (a new token ends every older session, also across restarts), was used
// within the idle limit and is younger than the absolute limit. Revoke() ends a session.
//
// Sessions validated within `cache_ttl` are answered from memory, and last_seen_at is written at
// most once per `touch_interval` per session, so a busy dashboard does not write (or read) the
// database on every request. A revoke in this process takes effect at once; a revoke by another
// process sharing the database, within cache_ttl, or at once when that process's notification
// makes this one call ForgetCached. Times come from the injected Clock.
//
// Thread-safe: one mutex guards the in-memory state; the store is called outside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "web/session_store.h"

namespace hookd {

struct SessionOptions {
  std::chrono::milliseconds idle{std::chrono::hours(12)};         // HOOKD_SESSION_IDLE
  std::chrono::milliseconds max_age{std::chrono::hours(7 * 24)};  // HOOKD_SESSION_MAX_AGE
  std::chrono::milliseconds touch_interval{std::chrono::minutes(1)};
  std::chrono::milliseconds cache_ttl{std::chrono::seconds(10)};
};

struct NewSession {
  std::string value;   // the cookie's value: 64 lower-case hex characters
  int64_t expires_at;  // unix ms: the absolute limit (it may end sooner when idle)
};

class Sessions {
 public:
  // `token_fingerprint` is TokenFingerprint(the current admin token).
  Sessions(SessionStore& store, const Clock& clock, Random& random, std::string token_fingerprint,
           SessionOptions options = {});

  // What the store keeps of the admin token: HMAC-SHA256(token, a fixed label), in hex.
  static std::string TokenFingerprint(std::string_view token);

  // Stores a new session, after deleting stale ones (best effort). 503 unavailable when the store
  // cannot insert it.
  Result<NewSession> Create();
  // OK for the value of a live session; 401 unauthorized for a malformed, unknown, expired or
  // revoked value or one made under another admin token; 503 unavailable when the store fails and
  // the answer is not known from memory.
  // `record_use` false checks without counting as a use (an open stream checking again).
  Status Validate(std::string_view value, bool record_use = true);
  // Ends the session named by `value`; OK when there is no such session. It stops validating in
  // this process at once even when the store fails to delete it (then 503 unavailable).
  Status Revoke(std::string_view value);
  // Deletes every expired session and every session of another admin token.
  Status DeleteStale();
  // Forgets the sessions validated from memory, so each one's next use asks the store again:
  // another node sharing the database may have revoked it (on PostgreSQL, called by a listener
  // on kPgSessionsChannel). Revocations made here stay refused.
  void ForgetCached();

  const SessionOptions& options() const { return options_; }

 private:
  struct Entry {
    int64_t created_at;
    int64_t last_seen_at;  // the latest use known to this process
    int64_t written_at;    // the last_seen_at the store holds (as far as this process knows)
    int64_t checked_at;    // when the store last confirmed the session
  };

  bool Expired(int64_t created_at, int64_t last_seen_at, int64_t now) const;
  // Records a use at `now`; returns the last_seen_at to write when a touch is due, else -1.
  int64_t Use(Entry& e, int64_t now) const;
  // Use() when `record_use`, else -1 and nothing recorded.
  int64_t MaybeUse(Entry& e, int64_t now, bool record_use) const {
    return record_use ? Use(e, now) : -1;
  }
  void Prune(int64_t now);  // requires mu_

  SessionStore& store_;
  const Clock& clock_;
  Random& random_;
  const std::string fingerprint_;
  const SessionOptions options_;

  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;      // id_hash -> entry; guarded by mu_
  std::unordered_map<std::string, int64_t> revoked_;  // id_hash -> revoked at; guarded by mu_
};

}  // namespace hookd
