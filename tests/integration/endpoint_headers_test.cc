// Endpoint custom header values through the real server (API.md, endpoints): control characters
// (NUL, CR, LF, 0x01-0x1f but HTAB, DEL) are refused with 422 on create and on update, and a
// refusal changes nothing; HTAB, visible ASCII, space and bytes 0x80-0xff (obs-text, RFC 9110
// section 5.5) are accepted.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/test_server.h"
#include "tests/testing/delivery_settings.h"

namespace hookd::testing {
namespace {

using nlohmann::json;

const std::vector<std::string>& BadValues() {
  static const std::vector<std::string> values = {
      "a\x01z", "a\x7fz",   "a\x1fz",  std::string("a\0z", 3), "a\rz", "a\nz", "a\r\nX-Injected: 1",
      "\x08",   "tail\x7f", "\x1b[31m"};
  return values;
}

void ExpectRefused(const httplib::Result& r, const std::string& value) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << json(value).dump() << " -> " << r->body;
  json err = json::parse(r->body, nullptr, false);
  EXPECT_EQ(err["error"]["code"], "invalid_field") << r->body;
  const std::string message = err["error"]["message"].is_string() ? err["error"]["message"] : "";
  EXPECT_NE(message.find("X-Custom"), std::string::npos) << message;
  EXPECT_NE(message.find("control character"), std::string::npos) << message;
}

TEST(EndpointHeadersTest, ControlCharactersAreRefusedOnCreate) {
  TestServer t("", nullptr, LocalDeliverySettings());
  for (const std::string& value : BadValues()) {
    ExpectRefused(t.Post("/api/v1/endpoints",
                         {{"url", "http://127.0.0.1:9/h"}, {"headers", {{"X-Custom", value}}}}),
                  value);
  }
  EXPECT_EQ(t.GetJson("/api/v1/endpoints")["data"].size(), 0u) << "a refused endpoint was stored";
}

TEST(EndpointHeadersTest, ControlCharactersAreRefusedOnUpdateAndNothingChanges) {
  TestServer t("", nullptr, LocalDeliverySettings());
  json ep = t.CreateEndpoint({{"url", "http://127.0.0.1:9/h"},
                              {"description", "before"},
                              {"headers", {{"X-Custom", "ok"}}}});
  const std::string path = "/api/v1/endpoints/" + ep["id"].get<std::string>();
  const json before = t.GetJson(path);
  ASSERT_TRUE(before.is_object());
  for (const std::string& value : BadValues()) {
    const json body = {{"description", "after"}, {"headers", {{"X-Custom", value}}}};
    ExpectRefused(t.client().Patch(path, t.Admin(), body.dump(), "application/json"), value);
  }
  EXPECT_EQ(t.GetJson(path), before);
}

TEST(EndpointHeadersTest, TabVisibleAsciiAndObsTextAreAccepted) {
  TestServer t("", nullptr, LocalDeliverySettings());
  const json headers = {{"X-Tab", "a\tb"},
                        {"X-Visible", "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~ spaced"},
                        {"X-Obs-Text", "caf\xc3\xa9 \xe2\x82\xac"}};
  json ep = t.CreateEndpoint({{"url", "http://127.0.0.1:9/h"}, {"headers", headers}});
  EXPECT_EQ(ep["headers"], headers);
  const std::string path = "/api/v1/endpoints/" + ep["id"].get<std::string>();
  const json update = {{"headers", {{"X-Tab", "tab\tinside\ttwice"}}}};
  auto r = t.client().Patch(path, t.Admin(), update.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(t.GetJson(path)["headers"], update["headers"]);
}

}  // namespace
}  // namespace hookd::testing
