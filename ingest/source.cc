#include "ingest/source.h"

#include "common/time_format.h"

namespace hookd {

std::vector<std::string> Source::LiveSecrets(int64_t now_ms) const {
  std::vector<std::string> out{secret};
  if (previous_secret && now_ms < previous_expires_at) out.push_back(*previous_secret);
  return out;
}

nlohmann::json SourceJson(const Source& s) {
  nlohmann::json j = {{"id", s.id},
                      {"name", s.name},
                      {"provider", s.provider},
                      {"ingest_path", "/ingest/" + s.id},
                      {"secret", s.secret},
                      {"tolerance_seconds", s.tolerance_seconds},
                      {"created_at", FormatRfc3339(s.created_at)},
                      {"updated_at", FormatRfc3339(s.updated_at)}};
  if (s.previous_secret && s.previous_expires_at > 0)
    j["previous_secret_expires_at"] = FormatRfc3339(s.previous_expires_at);
  return j;
}

}  // namespace hookd
