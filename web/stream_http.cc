#include "web/stream_http.h"

namespace hookd {
std::vector<std::pair<std::string, std::string>> CorsHeaders(
    const std::optional<std::string_view>& origin) {
  if (!origin) return {};
  return {{"Access-Control-Allow-Origin", std::string(*origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Vary", "Origin"}};
}

}  // namespace hookd
