#include "apps/routes.h"
#include "common/api_helpers.h"
#include "common/http_errors.h"

namespace hookd {
namespace {

// A Host header fit to start a URL with: a name or address and an optional port, nothing else.
bool SaneHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void RegisterPortalRoutes(Router& router, ApplicationRepository& store, PortalLinks& portal,
                          const std::string& public_url) {
  router.Add(
      "POST", "/api/v1/apps/:app/portal", Access::kAdmin,
      SyncHandler([&store, &portal, public_url](HttpRequest& req) {
        auto app = store.Resolve(req.params["app"]);
        if (!app.ok()) return ErrorResponse(app.status());
        auto body = req.body.empty() ? Result<nlohmann::json>(nlohmann::json::object())
                                     : ParseJsonObject(req);
        if (!body.ok()) return ErrorResponse(body.status());
        std::string base = public_url;
        if (base.empty()) {
          auto host = req.headers.Get("host");
          if (!host || !SaneHost(*host))
            return ErrorResponse(Status::Malformed(
                "bad_host", "no usable Host header to make the link with; set HOOKD_PUBLIC_URL"));
          base = "http://" + std::string(*host);
        }
        while (base.ends_with('/')) base.pop_back();
        auto link = portal.CreateLink(*app, *body, base);
        if (!link.ok()) return ErrorResponse(link.status());
        return JsonResponse(201, *link);
      }));
  router.Add("POST", "/api/v1/portal/session", Access::kPublic,
             SyncHandler([&portal](HttpRequest& req) {
               auto body = ParseJsonObject(req);
               if (!body.ok()) return ErrorResponse(body.status());
               auto session = portal.Exchange(*body);
               if (!session.ok()) return ErrorResponse(session.status());
               HttpResponse r = JsonResponse(201, *session);
               r.headers.emplace_back("Cache-Control", "no-store");
               return r;
             }));
}

}  // namespace hookd
