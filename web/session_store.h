// SessionStore: durable storage of browser sessions (table `sessions`). Rows are keyed by the
// SHA-256 of the cookie value, never the value itself. The interface is the seam where another
// database can sit beside SQLite and where tests inject failures. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace hookd {

struct SessionRecord {
  std::string id_hash;            // hex SHA-256 of the cookie value
  std::string token_fingerprint;  // hex fingerprint of the admin token that signed in
  int64_t created_at = 0;         // unix ms
  int64_t last_seen_at = 0;       // unix ms
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual Status Insert(const SessionRecord& s) = 0;
  // nullopt when there is no such session; an error only when the store failed.
  virtual Result<std::optional<SessionRecord>> Get(const std::string& id_hash) = 0;
  // Raises last_seen_at to `last_seen_at` (never lowers it). OK when the row is gone.
  virtual Status Touch(const std::string& id_hash, int64_t last_seen_at) = 0;
  // True when a session was deleted, false when there was none.
  virtual Result<bool> Delete(const std::string& id_hash) = 0;
  // Deletes every session last seen before `idle_cutoff`, created before `absolute_cutoff`, or
  // made under a token fingerprint other than `keep_fingerprint`.
  virtual Status DeleteStale(int64_t idle_cutoff, int64_t absolute_cutoff,
                             const std::string& keep_fingerprint) = 0;
};

}  // namespace hookd
