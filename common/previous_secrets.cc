#include "common/previous_secrets.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/json_limits.h"

namespace hookd {

std::vector<PreviousSecret> ParsePreviousSecrets(std::string_view json) {
  std::vector<PreviousSecret> out;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (!v.is_object()) continue;
    auto secret = v.find("secret");
    auto expires = v.find("expires_at");
    if (secret == v.end() || !secret->is_string() || expires == v.end() ||
        !expires->is_number_integer())
      continue;
    out.push_back({secret->get<std::string>(), expires->get<int64_t>()});
  }
  return out;
}

std::string DumpPreviousSecrets(const std::vector<PreviousSecret>& secrets) {
  nlohmann::json j = nlohmann::json::array();
  for (const PreviousSecret& p : secrets)
    j.push_back({{"secret", p.secret}, {"expires_at", p.expires_at}});
  return DumpJson(j);
}

Status AddPreviousSecret(std::vector<PreviousSecret>& secrets, std::string replaced,
                         int64_t expires_at, int64_t now_ms) {
  std::vector<PreviousSecret> next;
  if (now_ms < expires_at) next.push_back({std::move(replaced), expires_at});
  for (const PreviousSecret& p : secrets)
    if (now_ms < p.expires_at) next.push_back(p);
  if (next.size() > kMaxPreviousSecrets) {
    return Status::Conflict(
        "too_many_live_secrets",
        "already " + std::to_string(kMaxPreviousSecrets) +
            " previous secrets are in their grace; wait for one to end, or rotate with "
            "grace_seconds 0");
  }
  secrets = std::move(next);
  return Status::Ok();
}

void AppendLiveSecrets(const std::vector<PreviousSecret>& secrets, int64_t now_ms,
                       std::vector<std::string>& out) {
  for (const PreviousSecret& p : secrets)
    if (now_ms < p.expires_at) out.push_back(p.secret);
}

int64_t LastGraceEnd(const std::vector<PreviousSecret>& secrets) {
  int64_t last = 0;
  for (const PreviousSecret& p : secrets) last = std::max(last, p.expires_at);
  return last;
}

}  // namespace hookd
