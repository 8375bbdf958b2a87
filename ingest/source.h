// Source: a provider account that posts events to /ingest/<id>, with the secret(s) that verify
// its signatures. A value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hookd {

struct Source {
  std::string id;
  std::string name;
  std::string provider;  // stripe | github | standard | shopify
  std::string secret;
  std::optional<std::string> previous_secret;  // verifies until previous_expires_at
  int64_t previous_expires_at = 0;             // unix ms
  int64_t tolerance_seconds = 300;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  // The secrets that verify at `now_ms`: the current one, plus the previous one during a
  // rotation's grace period.
  std::vector<std::string> LiveSecrets(int64_t now_ms) const;
};

// API.md's source object; the secret is always included (admin-only API, as Svix does).
nlohmann::json SourceJson(const Source& s);

}  // namespace hookd
