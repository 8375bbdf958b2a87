#include "apps/scoped_routes.h"

#include "deliver/routes.h"

namespace hookd {

void RegisterScopedRoutes(Router& router, ApplicationStore& apps, EndpointService& endpoints,
                          MessageService& messages) {
  const AppScope scope = [&apps](HttpRequest& req) -> Result<std::optional<std::string>> {
    auto id = apps.Resolve(req.params["app"]);
    if (!id.ok()) return id.status();
    return std::optional<std::string>(*id);
  };
  RegisterEndpointRoutes(router, endpoints, "/api/v1/apps/:app", scope);
  RegisterMessageRoutes(router, messages, "/api/v1/apps/:app", scope);
}

}  // namespace hookd
