#include <string_view>
#include <vector>

#include "common/http_errors.h"
#include "web/assets.h"

namespace hookd {
namespace {

std::string ContentTypeFor(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

// Scripts, styles and connections from the dashboard's own origin only (no inline script or
// style), plus the stream listener over HTTP (SSE, long-poll) and WebSocket. Framed by nobody,
// except the portal by the origins the operator lists (`frame_ancestors`).
std::string ContentSecurityPolicy(const std::string& stream_base,
                                  const std::vector<std::string>& frame_ancestors) {
  std::string frames;
  for (const std::string& o : frame_ancestors) {
    if (!frames.empty()) frames += ' ';
    frames += o;
  }
  if (frames.empty()) frames = "'none'";
  std::string ws_base = stream_base;
  if (ws_base.starts_with("https://"))
    ws_base.replace(0, 5, "wss");
  else if (ws_base.starts_with("http://"))
    ws_base.replace(0, 4, "ws");
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
         " connect-src 'self' " +
         stream_base + " " + ws_base +
         "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors " + frames;
}

}  // namespace

void RegisterWebRoutes(Router& router, const std::string& version, const std::string& stream_base,
                       const std::vector<std::string>& portal_frame_ancestors) {
  for (const Asset& a : EmbeddedAssets()) {
    const bool portal = std::string_view(a.path) == "/portal.html";
    HttpResponse r;
    r.content_type = ContentTypeFor(a.path);
    r.body = a.content;
    r.headers = {{"Cache-Control", "no-cache"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Content-Security-Policy",
                  ContentSecurityPolicy(
                      stream_base, portal ? portal_frame_ancestors : std::vector<std::string>{})},
                 {"Referrer-Policy", "no-referrer"}};
    SyncHandler serve = [r](HttpRequest&) { return r; };
    router.Add("GET", a.path, Access::kPublic, serve);
    if (std::string_view(a.path) == "/index.html") router.Add("GET", "/", Access::kPublic, serve);
    if (portal) router.Add("GET", "/portal/", Access::kPublic, serve);
  }
  // An application token may read it too (its client needs the stream's address).
  router.Add("GET", "/api/v1/info", Access::kApp, SyncHandler([version, stream_base](HttpRequest&) {
               return JsonResponse(200, {{"version", version}, {"stream_base", stream_base}});
             }));
}

}  // namespace hookd
