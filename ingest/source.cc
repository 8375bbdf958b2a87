#include "ingest/source.h"

#include "common/time_format.h"

namespace hookd {

std::vector<std::string> Source::LiveSecrets(int64_t now_ms) const {
  std::vector<std::string> out{secret};
  AppendLiveSecrets(previous_secrets, now_ms, out);
  return out;
}

nlohmann::json SourceJson(const Source& s) {
  nlohmann::json j = {{"id", s.id},
                      {"app_id", s.app_id},
                      {"name", s.name},
                      {"provider", s.provider},
                      {"ingest_path", "/ingest/" + s.id},
                      {"secret", s.secret},
                      {"tolerance_seconds", s.tolerance_seconds},
                      {"created_at", FormatRfc3339(s.created_at)},
                      {"updated_at", FormatRfc3339(s.updated_at)}};
  if (const int64_t last = LastGraceEnd(s.previous_secrets); last > 0)
    j["previous_secret_expires_at"] = FormatRfc3339(last);
  return j;
}

}  // namespace hookd
