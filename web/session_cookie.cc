#include "web/session_cookie.h"

namespace hookd {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of cookie `name` in one Cookie header ("a=1; b=2").
std::optional<std::string_view> FindCookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    std::string_view pair = Trim(header.substr(0, end));
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> SessionCookieValue(const HttpRequest& req) {
  for (const auto& [name, value] : req.headers.items()) {
    if (!EqualsIgnoreCase(name, "cookie")) continue;
    if (auto v = FindCookie(value, kSessionCookieName)) return v;
  }
  return std::nullopt;
}

bool ForwardedOverHttps(const HttpRequest& req) {
  for (const auto& [name, value] : req.headers.items()) {
    if (!EqualsIgnoreCase(name, "x-forwarded-proto")) continue;
    // A chain of proxies may list several ("https, http").
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      if (EqualsIgnoreCase(Trim(rest.substr(0, comma)), "https")) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string SessionSetCookie(std::string_view value, int64_t max_age_seconds, bool secure) {
  std::string c = std::string(kSessionCookieName) + "=" + std::string(value) +
                  "; Path=/; Max-Age=" + std::to_string(max_age_seconds) +
                  "; HttpOnly; SameSite=Strict";
  if (secure) c += "; Secure";
  return c;
}

std::string SessionClearCookie(bool secure) { return SessionSetCookie("", 0, secure); }

}  // namespace hookd
