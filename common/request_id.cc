#include "common/request_id.h"

#include "common/ids.h"
#include "common/json_limits.h"

namespace hookd {

bool IsUsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string RequestIdFor(const Headers& headers, const Clock& clock, Random& random) {
  if (auto given = headers.Get("x-request-id"); given && IsUsableRequestId(*given))
    return std::string(*given);
  return NewId("req", clock, random);
}

std::optional<ErrorBody> AttachRequestId(HttpResponse& response, std::string_view id) {
  response.headers.emplace_back("X-Request-Id", std::string(id));
  // Error bodies are small JSON objects that start with {"error": (common/http_errors.cc).
  if (response.status < 400 || response.body.empty() || response.body.size() > 65536 ||
      response.body.front() != '{' || !response.content_type.starts_with("application/json"))
    return std::nullopt;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  auto error = body.find("error");
  if (error == body.end() || !error->is_object()) return std::nullopt;
  (*error)["request_id"] = std::string(id);
  ErrorBody out;
  if (auto c = error->find("code"); c != error->end() && c->is_string()) out.code = *c;
  if (auto m = error->find("message"); m != error->end() && m->is_string()) out.message = *m;
  response.body = DumpJson(body);
  return out;
}

}  // namespace hookd
