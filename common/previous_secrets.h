// PreviousSecrets: the secrets a rotation replaced, each still valid until its own grace ends
// (docs/DECISIONS.md, "Every secret in its grace stays live"). Sources verify with them and
// endpoints sign with them, however many rotations happened within the grace. Stored as a JSON
// array, newest first. Pure functions; a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hookd {

struct PreviousSecret {
  std::string secret;
  int64_t expires_at = 0;  // unix ms; valid while now < expires_at

  bool operator==(const PreviousSecret&) const = default;
};

// At most this many previous secrets may be in their grace at once (each one is another
// signature on every delivery, another HMAC on every ingest).
inline constexpr size_t kMaxPreviousSecrets = 16;

// `[{"secret", "expires_at"}, …]`; entries that are not such objects are skipped.
std::vector<PreviousSecret> ParsePreviousSecrets(std::string_view json);
std::string DumpPreviousSecrets(const std::vector<PreviousSecret>& secrets);

// A rotation at `now_ms`: `replaced` is valid until `expires_at` as the newest previous secret,
// and those whose grace has ended are dropped. 409 too_many_live_secrets, changing nothing, when
// kMaxPreviousSecrets would still be live afterwards.
Status AddPreviousSecret(std::vector<PreviousSecret>& secrets, std::string replaced,
                         int64_t expires_at, int64_t now_ms);

// Appends the secrets still in their grace at `now_ms`, newest first.
void AppendLiveSecrets(const std::vector<PreviousSecret>& secrets, int64_t now_ms,
                       std::vector<std::string>& out);

// The latest end of a grace among them (0 when none): the API's previous_secret_expires_at.
int64_t LastGraceEnd(const std::vector<PreviousSecret>& secrets);

}  // namespace hookd
