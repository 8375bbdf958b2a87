// The OpenAPI description (docs/openapi.yaml, embedded as JSON) against the server: every route
// the router of a full server registers is in the document and every operation of the document
// is a route ("/:id" is "/{id}"), the stream listener's paths included; and the document is
// served at /api/v1/openapi.json without a token.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/integration/test_server.h"
#include "web/assets.h"
#include "web/openapi_document.h"

namespace hookd {
namespace {

using Operation = std::pair<std::string, std::string>;  // method, path ("/api/v1/sources/{id}")

// The stream listener's routes (web/stream_listener.cc), which its own code matches.
// Each answers GET and a CORS preflight (OPTIONS).
const std::set<Operation> kStreamListenerRoutes = {
    {"GET", "/api/v1/stream"}, {"OPTIONS", "/api/v1/stream"}, {"GET", "/api/v1/ws"},
    {"OPTIONS", "/api/v1/ws"}, {"GET", "/api/v1/updates"},    {"OPTIONS", "/api/v1/updates"},
    {"GET", "/api/v1/listen"}, {"OPTIONS", "/api/v1/listen"}};

// "/api/v1/apps/:app/tokens/:id" -> "/api/v1/apps/{app}/tokens/{id}".
std::string OpenApiPath(const std::string& pattern) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':' && (i == 0 || pattern[i - 1] == '/')) {
      size_t end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += '{';
      out += pattern.substr(i + 1, end - i - 1);
      out += '}';
      i = end;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The document's operations: on the main listener, or on the stream listener (the paths that
// name their own `servers`).
std::set<Operation> DocumentedOperations(const nlohmann::json& doc, bool stream_listener) {
  static const char* const kMethods[] = {"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};
  std::set<Operation> out;
  for (const auto& [path, item] : doc.at("paths").items()) {
    if (item.contains("servers") != stream_listener) continue;
    for (const char* m : kMethods)
      if (item.contains(m)) out.emplace(Upper(m), path);
  }
  return out;
}

// The router's routes, less the dashboard's static files (one route per embedded file, which
// the document does not list; "/" and "/portal/", the pages, it does).
std::set<Operation> RouterOperations(const Server& server) {
  std::set<std::string> files;
  for (const Asset& a : EmbeddedAssets()) files.insert(a.path);
  std::set<Operation> out;
  for (const auto& [method, pattern] : server.routes()) {
    if (method == "GET" && files.contains(pattern)) continue;
    out.emplace(method, OpenApiPath(pattern));
  }
  return out;
}

// "  GET /a\n  POST /b\n" for the operations of `a` that are not in `b`.
std::string Missing(const std::set<Operation>& a, const std::set<Operation>& b) {
  std::string out;
  for (const Operation& op : a)
    if (!b.contains(op)) out += "  " + op.first + " " + op.second + "\n";
  return out;
}

TEST(OpenApiRoutesTest, ConvertsRouterPatternsToOpenApiPaths) {
  EXPECT_EQ(OpenApiPath("/api/v1/apps/:app/tokens/:id"), "/api/v1/apps/{app}/tokens/{id}");
  EXPECT_EQ(OpenApiPath("/ingest/:source_id"), "/ingest/{source_id}");
  EXPECT_EQ(OpenApiPath("/portal/"), "/portal/");
}

TEST(OpenApiRoutesTest, EveryRouteOfTheRouterIsInTheDocumentAndViceVersa) {
  testing::TestServer server;
  const auto doc = nlohmann::json::parse(OpenApiJson());
  const std::set<Operation> routed = RouterOperations(server.server());
  const std::set<Operation> documented = DocumentedOperations(doc, false);
  ASSERT_GT(routed.size(), 50u);
  EXPECT_EQ(Missing(routed, documented), "")
      << "routes the router registers that docs/openapi.yaml does not describe";
  EXPECT_EQ(Missing(documented, routed), "")
      << "operations docs/openapi.yaml describes that the router does not register";
}

TEST(OpenApiRoutesTest, TheStreamListenersRoutesAreInTheDocumentAndViceVersa) {
  const auto doc = nlohmann::json::parse(OpenApiJson());
  const std::set<Operation> documented = DocumentedOperations(doc, true);
  EXPECT_EQ(Missing(kStreamListenerRoutes, documented), "")
      << "stream listener routes that docs/openapi.yaml does not describe (on a path with "
         "`servers`: the stream listener)";
  EXPECT_EQ(Missing(documented, kStreamListenerRoutes), "")
      << "operations docs/openapi.yaml puts on the stream listener that it does not serve";
}

TEST(OpenApiRoutesTest, TheDocumentIsOpenApi31WithAServerAndSecuritySchemes) {
  const auto doc = nlohmann::json::parse(OpenApiJson());
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version"), HOOKD_VERSION);
  for (const char* scheme : {"adminToken", "session", "appToken"})
    EXPECT_TRUE(doc.at("components").at("securitySchemes").contains(scheme)) << scheme;
}

TEST(OpenApiRoutesTest, ServesTheDocumentWithoutAToken) {
  testing::TestServer server;
  auto r = server.client().Get("/api/v1/openapi.json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(r->body), nlohmann::json::parse(OpenApiJson()));
  auto page = server.client().Get("/docs");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("/api/v1/openapi.json"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
}

}  // namespace
}  // namespace hookd
