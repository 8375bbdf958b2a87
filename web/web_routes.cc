#include <string_view>

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

}  // namespace

void RegisterWebRoutes(Router& router, const std::string& version, const std::string& stream_base) {
  // The WebSocket transport's scheme, for the dashboard's connect-src.
  const std::string ws_base = stream_base.starts_with("https://") ? "wss://" + stream_base.substr(8)
                              : stream_base.starts_with("http://") ? "ws://" + stream_base.substr(7)
                                                                   : stream_base;
  for (const Asset& a : EmbeddedAssets()) {
    HttpResponse r;
    r.content_type = ContentTypeFor(a.path);
    r.body = a.content;
    r.headers = {
        {"Cache-Control", "no-cache"},
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Security-Policy", "default-src 'self'; connect-src 'self' " + stream_base + " " +
                                        ws_base + "; frame-ancestors 'none'"}};
    SyncHandler serve = [r](HttpRequest&) { return r; };
    router.Add("GET", a.path, Access::kPublic, serve);
    if (std::string_view(a.path) == "/index.html") router.Add("GET", "/", Access::kPublic, serve);
  }
  router.Add("GET", "/api/v1/info", Access::kAdmin,
             SyncHandler([version, stream_base](HttpRequest&) {
               return JsonResponse(200, {{"version", version}, {"stream_base", stream_base}});
             }));
}

}  // namespace hookd
