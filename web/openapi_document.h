// The OpenAPI description of hookd's routes: docs/openapi.yaml, converted to JSON and embedded at
// build time (cmake/openapi_embed.py), and the routes that serve it. Read-only; thread-safe.
#pragma once

#include "common/router.h"

namespace hookd {

// The document as compact JSON text.
const char* OpenApiJson();

// GET /api/v1/openapi.json (the document) and GET /docs (the document rendered by the embedded
// Redoc bundle, /redoc.standalone.js, or, in a build without it, a page that links to the JSON).
// Both public.
void RegisterApiDocsRoutes(Router& router);

}  // namespace hookd
