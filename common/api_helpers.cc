#include "common/api_helpers.h"

#include <charconv>

#include "common/json_limits.h"

namespace hookd {

bool IsJsonContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (EqualsIgnoreCase(ct, "application/json")) return true;
  constexpr std::string_view kApp = "application/";
  return ct.size() > kApp.size() + 5 && EqualsIgnoreCase(ct.substr(0, kApp.size()), kApp) &&
         EqualsIgnoreCase(ct.substr(ct.size() - 5), "+json");
}

Result<nlohmann::json> ParseJsonObject(const HttpRequest& req) {
  if (req.body.empty()) return nlohmann::json::object();
  auto ct = req.headers.Get("content-type");
  if (!ct || !IsJsonContentType(*ct))
    return Status(ErrorKind::kUnsupportedMedia, "unsupported_media_type",
                  "the body must be sent as application/json");
  auto j = ParseJsonBounded(req.body);
  if (!j.ok()) return j.status();
  if (!j->is_object()) return Status::Malformed("invalid_json", "the body is not a JSON object");
  return j;
}

Result<ListParams> ParseListParams(const HttpRequest& req) {
  ListParams p;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    const std::string& v = it->second;
    int n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size() || n < 1 || n > 500)
      return Status::InvalidField("limit must be an integer from 1 to 500");
    p.limit = n;
  }
  if (auto it = req.query.find("after"); it != req.query.end() && !it->second.empty())
    p.after = it->second;
  return p;
}

nlohmann::json ListJson(nlohmann::json items, bool has_more) {
  nlohmann::json next = nullptr;
  if (has_more && !items.empty()) next = items.back().at("id");
  return {{"data", std::move(items)}, {"next", std::move(next)}};
}

Status RejectUnknownFields(const nlohmann::json& obj, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) return Status::InvalidField("unknown field \"" + key + "\"");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> OptionalString(const nlohmann::json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Status::InvalidField(std::string(field) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<int64_t>> OptionalInt(const nlohmann::json& obj, const char* field,
                                           int64_t min, int64_t max) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max)
    return Status::InvalidField(std::string(field) + " must be an integer from " +
                                std::to_string(min) + " to " + std::to_string(max));
  return std::optional<int64_t>(it->get<int64_t>());
}

}  // namespace hookd
