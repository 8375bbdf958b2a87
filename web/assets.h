// The dashboard's static files (web/static), embedded into the binary at build time, and the
// routes that serve them. Read-only after start; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/router.h"

namespace hookd {

struct Asset {
  const char* path;  // "/index.html"
  const char* content;
};

const std::vector<Asset>& EmbeddedAssets();

// GET / (the dashboard), GET /<asset>, GET /portal/ (the portal, which the origins in
// `portal_frame_ancestors` may show in an iframe), and GET /api/v1/info.
void RegisterWebRoutes(Router& router, const std::string& version, const std::string& stream_base,
                       const std::vector<std::string>& portal_frame_ancestors = {});

}  // namespace hookd
