#include "common/token_strength.h"

#include <bitset>
#include <string>

namespace hookd {

Status CheckAdminTokenStrength(std::string_view token, std::string_view source) {
  std::bitset<256> seen;
  bool visible = true;
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    seen.set(u);
    visible = visible && u > 0x20 && u < 0x7f;
  }
  std::string problem;
  if (token.size() < kMinAdminTokenLength)
    problem = "it has " + std::to_string(token.size()) + " characters";
  else if (seen.count() < kMinAdminTokenDistinct)
    problem = "it has only " + std::to_string(seen.count()) + " different characters";
  else if (!visible)
    problem = "it has a space, control character or non-ASCII byte";
  if (problem.empty()) return Status::Ok();
  return Status::InvalidField(
      std::string(source) + ": the admin token is too weak (" + problem + "); it needs at least " +
      std::to_string(kMinAdminTokenLength) + " characters, at least " +
      std::to_string(kMinAdminTokenDistinct) +
      " different characters, and visible ASCII only. Generate one with `openssl rand -hex 32`, "
      "or leave HOOKD_ADMIN_TOKEN unset and hookd generates one into <data-dir>/admin_token");
}

}  // namespace hookd
