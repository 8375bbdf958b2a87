#include "web/request_origin.h"

#include <algorithm>
#include <cctype>

#include "web/session_cookie.h"

namespace hookd {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "host[:port]" with the scheme's default port dropped.
std::string Authority(std::string_view scheme, std::string_view authority) {
  std::string a = Lower(authority);
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  while (a.size() > default_port.size() &&
         a.compare(a.size() - default_port.size(), default_port.size(), default_port) == 0)
    a.resize(a.size() - default_port.size());
  return a;
}

bool IsJson(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  return EqualsIgnoreCase(media, "application/json");
}

}  // namespace

bool IsSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::string OriginOf(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return "";
  const std::string scheme = Lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") return "";
  std::string_view rest = url.substr(colon + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.empty() || rest.find('@') != std::string_view::npos) return "";
  return scheme + "://" + Authority(scheme, rest);
}

Status CheckSameOriginJson(const HttpRequest& req, const std::vector<std::string>& configured) {
  std::string origin;
  if (auto o = req.headers.Get("origin")) {
    origin = OriginOf(*o);  // "null" (a sandboxed or opaque origin) matches nothing
  } else if (auto referer = req.headers.Get("referer")) {
    origin = OriginOf(*referer);
  }
  bool same = false;
  if (!origin.empty()) {
    const std::string scheme = ForwardedOverHttps(req) ? "https" : "http";
    if (auto host = req.headers.Get("host"))
      same = origin == scheme + "://" + Authority(scheme, *host);
    for (const std::string& c : configured) same = same || (!c.empty() && origin == OriginOf(c));
  }
  if (!same)
    return Status(ErrorKind::kForbidden, "forbidden_origin",
                  "a request made with the session cookie must come from hookd's own pages "
                  "(its Origin or Referer is another site's, or missing)");
  if (!IsJson(req.headers.Get("content-type").value_or("")))
    return Status(ErrorKind::kUnsupportedMedia, "unsupported_media_type",
                  "a request made with the session cookie must have Content-Type: "
                  "application/json");
  return Status::Ok();
}

}  // namespace hookd
