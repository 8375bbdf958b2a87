#include "cli/stream_base.h"

#include <nlohmann/json.hpp>

namespace hookd::cli {

std::optional<StreamTarget> ParseStreamBase(const std::string& base) {
  constexpr std::string_view kHttp = "http://";
  if (!base.starts_with(kHttp)) return std::nullopt;
  std::string rest = base.substr(kHttp.size());
  if (size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (rest.empty()) return std::nullopt;
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || rest.ends_with(']')) return StreamTarget{base, rest, "80"};
  return StreamTarget{base, rest.substr(0, colon), rest.substr(colon + 1)};
}

Result<StreamTarget> FetchStreamTarget(ApiClient& api, const std::string& command) {
  auto info = api.Call("GET", "/api/v1/info", "");
  if (!info.ok()) return info.status();
  if (info->status != 200) return Status::Unavailable(DescribeError(*info));
  const nlohmann::json j = nlohmann::json::parse(info->body, nullptr, false);
  const auto base = j.is_object() && j.contains("stream_base") && j["stream_base"].is_string()
                        ? j["stream_base"].get<std::string>()
                        : std::string();
  auto t = ParseStreamBase(base);
  if (!t)
    return Status::Unavailable(command + " connects over http only; hookd names " +
                               (base.empty() ? std::string("no stream_base") : base));
  return *t;
}

}  // namespace hookd::cli
