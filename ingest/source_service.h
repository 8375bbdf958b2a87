// SourceService: creating, changing and rotating sources, with the validation API.md asks for
// (422 invalid_field naming the field). Requests are JSON objects already parsed by the edge.
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "ingest/source.h"
#include "ingest/source_cache.h"
#include "ingest/source_store.h"

namespace hookd {

class SourceService {
 public:
  SourceService(SourceStore& store, SourceCache& cache, const Clock& clock, Random& random)
      : store_(store), cache_(cache), clock_(clock), random_(random) {}

  // {"name", "provider", "secret"?, "tolerance_seconds"?}; a secret is generated when absent.
  Result<Source> Create(const nlohmann::json& req);
  // {"name"?, "tolerance_seconds"?}; the provider and secret cannot change here.
  Result<Source> Update(const std::string& id, const nlohmann::json& req);
  // {"secret"?, "grace_seconds"? (86400)}: the old secret keeps verifying for the grace period.
  Result<Source> RotateSecret(const std::string& id, const nlohmann::json& req);
  Status Delete(const std::string& id);
  Result<Source> Get(const std::string& id) { return store_.Get(id); }
  Result<std::vector<Source>> List(const std::optional<std::string>& after, int limit) {
    return store_.List(after, limit);
  }

  // A fresh secret in the provider's usual shape (whsec_<base64> for standard).
  std::string GenerateSecret(const std::string& provider);

 private:
  Status ValidateSecret(const std::string& provider, const std::string& secret) const;

  SourceStore& store_;
  SourceCache& cache_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace hookd
