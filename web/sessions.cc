#include "web/sessions.h"

#include <algorithm>
#include <optional>

#include "common/crypto.h"

namespace hookd {
namespace {

constexpr size_t kIdBytes = 32;

Status Unauthorized(const char* why) {
  return Status::Unauthenticated("unauthorized", std::string("session ") + why + "; sign in again");
}

Status StoreFailed(const Status& s) {
  return Status::Unavailable("session store unavailable: " + s.message());
}

bool WellFormed(std::string_view value) {
  return value.size() == 2 * kIdBytes && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The value has 256 random bits, so a plain hash is enough to make stored rows useless as
// cookies. Lookups are by this hash, so their timing can reveal only bits of a hash, which does
// not help to forge a value.
std::string HashValue(std::string_view value) { return HexEncode(Sha256(value)); }

}  // namespace

Sessions::Sessions(SessionStore& store, const Clock& clock, Random& random,
                   std::string token_fingerprint, SessionOptions options)
    : store_(store),
      clock_(clock),
      random_(random),
      fingerprint_(std::move(token_fingerprint)),
      options_(options) {}

std::string Sessions::TokenFingerprint(std::string_view token) {
  // Keyed with the token rather than a bare SHA-256 of it, so the stored value is unrelated to
  // the digest AdminAuth compares bearer tokens with.
  return HexEncode(HmacSha256(token, "hookd-session-token-fingerprint"));
}

bool Sessions::Expired(int64_t created_at, int64_t last_seen_at, int64_t now) const {
  return now - last_seen_at >= options_.idle.count() ||
         now - created_at >= options_.max_age.count();
}

int64_t Sessions::Use(Entry& e, int64_t now) const {
  e.last_seen_at = std::max(e.last_seen_at, now);
  if (e.last_seen_at - e.written_at < options_.touch_interval.count()) return -1;
  // Marked written before the write: concurrent requests must not all write the same touch.
  e.written_at = e.last_seen_at;
  return e.last_seen_at;
}

void Sessions::Prune(int64_t now) {
  std::erase_if(cache_, [&](const auto& kv) {
    return now - kv.second.checked_at >= options_.cache_ttl.count() ||
           Expired(kv.second.created_at, kv.second.last_seen_at, now);
  });
  // A revoked session would have expired by now anyway.
  std::erase_if(revoked_,
                [&](const auto& kv) { return now - kv.second >= options_.max_age.count(); });
}

Result<NewSession> Sessions::Create() {
  const int64_t now = clock_.NowUnixMillis();
  std::string value;
  {
    std::lock_guard<std::mutex> lock(mu_);
    value = HexEncode(random_.Bytes(kIdBytes));
  }
  // Best effort: a failure here must not refuse the sign-in, and the insert reports a store that
  // is really down.
  (void)DeleteStale();
  SessionRecord record{HashValue(value), fingerprint_, now, now};
  if (Status s = store_.Insert(record); !s.ok()) return StoreFailed(s);
  {
    std::lock_guard<std::mutex> lock(mu_);
    Prune(now);
    cache_[record.id_hash] = Entry{now, now, now, now};
  }
  return NewSession{std::move(value), now + options_.max_age.count()};
}

Status Sessions::Validate(std::string_view value, bool record_use) {
  if (!WellFormed(value)) return Unauthorized("unknown");
  const int64_t now = clock_.NowUnixMillis();
  const std::string hash = HashValue(value);
  int64_t touch = -1;
  bool answered = false;
  int64_t known_last_seen = 0;  // a use this process saw that the store may not have yet
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (revoked_.count(hash)) return Unauthorized("ended");
    if (auto it = cache_.find(hash); it != cache_.end()) {
      Entry& e = it->second;
      known_last_seen = e.last_seen_at;
      if (now - e.checked_at < options_.cache_ttl.count()) {
        if (Expired(e.created_at, e.last_seen_at, now)) {
          cache_.erase(it);
          return Unauthorized("expired");
        }
        touch = MaybeUse(e, now, record_use);
        answered = true;
      }
    }
  }
  if (!answered) {
    // Not in memory, or not confirmed lately: another process may have revoked it.
    auto row = store_.Get(hash);
    if (!row.ok()) return StoreFailed(row.status());
    std::lock_guard<std::mutex> lock(mu_);
    if (!*row || !ConstantTimeEquals((*row)->token_fingerprint, fingerprint_)) {
      cache_.erase(hash);
      return Unauthorized("unknown");
    }
    // Checked again after the read: a revoke that ran meanwhile must not be undone by caching the
    // row it deleted.
    if (revoked_.count(hash)) return Unauthorized("ended");
    const SessionRecord& r = **row;
    Entry e{r.created_at, std::max(r.last_seen_at, known_last_seen), r.last_seen_at, now};
    if (auto it = cache_.find(hash); it != cache_.end()) {
      e.last_seen_at = std::max(e.last_seen_at, it->second.last_seen_at);
      e.written_at = std::max(e.written_at, it->second.written_at);
    }
    if (Expired(e.created_at, e.last_seen_at, now)) {
      cache_.erase(hash);
      return Unauthorized("expired");
    }
    touch = MaybeUse(e, now, record_use);
    cache_[hash] = e;
  }
  // A lost touch costs at most one touch interval of idle time after a restart; the request
  // itself is authenticated, so it is not refused for it.
  if (touch >= 0) (void)store_.Touch(hash, touch);
  return Status::Ok();
}

Status Sessions::Revoke(std::string_view value) {
  if (!WellFormed(value)) return Status::Ok();
  const int64_t now = clock_.NowUnixMillis();
  const std::string hash = HashValue(value);
  bool was_cached = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Prune(now);
    was_cached = cache_.erase(hash) > 0;
    revoked_[hash] = now;
  }
  auto deleted = store_.Delete(hash);
  // Still in revoked_, so refused here even though the row may remain.
  if (!deleted.ok()) return StoreFailed(deleted.status());
  if (!*deleted && !was_cached) {
    // There was no such session: remembering made-up values would only grow memory.
    std::lock_guard<std::mutex> lock(mu_);
    revoked_.erase(hash);
  }
  return Status::Ok();
}

void Sessions::ForgetCached() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
}

Status Sessions::DeleteStale() {
  const int64_t now = clock_.NowUnixMillis();
  // The stored last_seen_at may lag the last use by up to a touch interval (see Use), so the idle
  // cutoff leaves that much slack rather than delete a session this process still considers live.
  Status s = store_.DeleteStale(now - options_.idle.count() - options_.touch_interval.count(),
                                now - options_.max_age.count(), fingerprint_);
  return s.ok() ? s : StoreFailed(s);
}

}  // namespace hookd
