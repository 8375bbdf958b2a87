// Source: a provider account that posts events to /ingest/<id>, with the secret(s) that verify
// its signatures. A value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/default_app.h"
#include "common/previous_secrets.h"

namespace hookd {

struct Source {
  std::string id;
  std::string app_id = kDefaultAppId;  // its events fan out to this application's endpoints only
  std::string name;
  std::string provider;  // stripe | github | standard | shopify
  std::string secret;
  std::vector<PreviousSecret> previous_secrets;  // each verifies too during its grace
  int64_t tolerance_seconds = 300;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  // The secrets that verify at `now_ms`: the current one, plus every previous one during its
  // rotation's grace period.
  std::vector<std::string> LiveSecrets(int64_t now_ms) const;
};

// API.md's source object; the secret is always included (admin-only API, as Svix does).
nlohmann::json SourceJson(const Source& s);

}  // namespace hookd
