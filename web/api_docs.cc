#include <string>
#include <string_view>

#include "web/assets.h"
#include "web/openapi_document.h"

namespace hookd {
namespace {

constexpr std::string_view kRedocBundle = "/redoc.standalone.js";

// Redoc renders from its own bundle and /docs.js; it fetches the document from this origin,
// styles itself with inline <style> elements (styled-components) and runs its search index in a
// worker made from a blob: URL. Nothing else is allowed: no other origin, no inline script.
constexpr char kRedocPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " font-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none';"
    " form-action 'none'; frame-ancestors 'none'";
constexpr char kPlainPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'";

constexpr char kRedocPage[] = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hookd API reference</title>
</head>
<body>
<div id="redoc"><noscript>The reference page needs JavaScript; the description itself is
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript></div>
<script src="/redoc.standalone.js"></script>
<script src="/docs.js"></script>
</body>
</html>
)";

// A build without the Redoc bundle (npm was not available to scripts/install-deps.sh).
constexpr char kPlainPage[] = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hookd API reference</title>
<style>body { font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5 }</style>
</head>
<body>
<h1>hookd API reference</h1>
<p>The API is described in OpenAPI 3.1 at
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>; open it in any OpenAPI viewer or
generate a client from it.</p>
<p>This build of hookd has no reference page: it was built without Redoc's bundle
(<code>web/redoc</code>, installed with npm by <code>scripts/install-deps.sh</code>).</p>
</body>
</html>
)";

bool HaveRedoc() {
  for (const Asset& a : EmbeddedAssets())
    if (a.path == kRedocBundle) return true;
  return false;
}

HttpResponse Page(const char* html, const char* policy) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = html;
  r.headers = {{"Cache-Control", "no-cache"},
               {"X-Content-Type-Options", "nosniff"},
               {"Content-Security-Policy", policy},
               {"Referrer-Policy", "no-referrer"}};
  return r;
}

}  // namespace

void RegisterApiDocsRoutes(Router& router) {
  HttpResponse document;
  document.content_type = "application/json";
  document.body = OpenApiJson();
  document.headers = {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  router.Add("GET", "/api/v1/openapi.json", Access::kPublic,
             SyncHandler([document](HttpRequest&) { return document; }));
  const HttpResponse page =
      HaveRedoc() ? Page(kRedocPage, kRedocPolicy) : Page(kPlainPage, kPlainPolicy);
  router.Add("GET", "/docs", Access::kPublic, SyncHandler([page](HttpRequest&) { return page; }));
}

}  // namespace hookd
