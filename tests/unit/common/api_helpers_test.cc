#include "common/api_helpers.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http_types.h"

namespace hookd {
namespace {

using nlohmann::json;

HttpRequest Post(std::string body, std::optional<std::string> content_type = "application/json") {
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/sources";
  if (content_type) req.headers.Add("Content-Type", *content_type);
  req.body = std::move(body);
  return req;
}

HttpRequest Query(std::map<std::string, std::string> query) {
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/events";
  req.query = std::move(query);
  return req;
}

TEST(IsJsonContentTypeTest, Accepts) {
  for (const char* ct :
       {"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
        "Application/JSON", "application/json ; charset=utf-8", "application/vnd.x+json",
        "application/vnd.github+json", "application/problem+json; charset=utf-8",
        "APPLICATION/VND.X+JSON"}) {
    EXPECT_TRUE(IsJsonContentType(ct)) << ct;
  }
}

TEST(IsJsonContentTypeTest, Rejects) {
  for (const char* ct :
       {"", "text/plain", "text/json", "application/jsonx", "application/json-seq",
        "application/x-www-form-urlencoded", "multipart/form-data", "application/xml",
        "application/+json", "text/vnd.x+json", "json", "application/", "applicationjson",
        "xapplication/json", "application/vnd.x+jsonx", "application/jsonp; charset=utf-8"}) {
    EXPECT_FALSE(IsJsonContentType(ct)) << ct;
  }
}

TEST(ParseJsonObjectTest, ParsesAnObject) {
  auto j = ParseJsonObject(Post(R"({"name":"gh","tolerance_seconds":300,"nested":{"a":[1]}})"));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_TRUE(j->is_object());
  EXPECT_EQ((*j)["name"], "gh");
  EXPECT_EQ((*j)["tolerance_seconds"], 300);
  EXPECT_EQ((*j)["nested"]["a"][0], 1);

  auto vnd = ParseJsonObject(Post(R"({"a":1})", "application/vnd.x+json; charset=utf-8"));
  ASSERT_TRUE(vnd.ok());
  EXPECT_EQ((*vnd)["a"], 1);
}

TEST(ParseJsonObjectTest, WrongContentTypeIs415) {
  for (std::optional<std::string> ct :
       {std::optional<std::string>("text/plain"),
        std::optional<std::string>("application/x-www-form-urlencoded"),
        std::optional<std::string>("application/jsonx"), std::optional<std::string>()}) {
    auto j = ParseJsonObject(Post(R"({"a":1})", ct));
    ASSERT_FALSE(j.ok()) << ct.value_or("(none)");
    EXPECT_EQ(j.status().kind(), ErrorKind::kUnsupportedMedia) << ct.value_or("(none)");
    EXPECT_EQ(j.status().code(), "unsupported_media_type");
  }
}

TEST(ParseJsonObjectTest, NonObjectOrGarbageIs400) {
  for (const char* body : {"[]", "[1,2]", "\"str\"", "42", "null", "true", "{", "{\"a\":}",
                           "not json", "{\"a\":1} trailing", "{'a':1}"}) {
    auto j = ParseJsonObject(Post(body));
    ASSERT_FALSE(j.ok()) << body;
    EXPECT_EQ(j.status().kind(), ErrorKind::kMalformed) << body;
    EXPECT_EQ(j.status().code(), "invalid_json") << body;
  }
}

TEST(ParseJsonObjectTest, EmptyBodyIsAnEmptyObject) {
  auto j = ParseJsonObject(Post(""));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(*j, json::object());
  auto no_type = ParseJsonObject(Post("", std::nullopt));
  ASSERT_TRUE(no_type.ok()) << no_type.status().ToString();
  EXPECT_EQ(*no_type, json::object());
}

TEST(ParseListParamsTest, Defaults) {
  auto p = ParseListParams(Query({}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->limit, 50);
  EXPECT_FALSE(p->after.has_value());
}

TEST(ParseListParamsTest, LimitBounds) {
  for (auto [text, want] :
       {std::pair<const char*, int>{"1", 1}, {"50", 50}, {"499", 499}, {"500", 500}}) {
    auto p = ParseListParams(Query({{"limit", text}}));
    ASSERT_TRUE(p.ok()) << text;
    EXPECT_EQ(p->limit, want);
  }
  for (const char* text : {"0", "501", "-1", "1000000", "99999999999999999999", "", "abc", "10x",
                           "1.5", " 10", "+10", "0x10"}) {
    auto p = ParseListParams(Query({{"limit", text}}));
    ASSERT_FALSE(p.ok()) << "accepted limit \"" << text << "\"";
    EXPECT_EQ(p.status().kind(), ErrorKind::kInvalidField) << text;
    EXPECT_NE(p.status().message().find("limit"), std::string::npos);
  }
}

TEST(ParseListParamsTest, AfterCursor) {
  auto p = ParseListParams(Query({{"after", "evt_01ARYZ6S41TSV4RRFFQ69G5FAV"}, {"limit", "10"}}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->after, std::optional<std::string>("evt_01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_EQ(p->limit, 10);
  auto empty = ParseListParams(Query({{"after", ""}}));
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->after.has_value());
}

TEST(ListJsonTest, NextIsTheLastIdWhenThereIsMore) {
  json items = json::array({{{"id", "evt_1"}, {"n", 1}}, {{"id", "evt_2"}, {"n", 2}}});
  json out = ListJson(items, true);
  EXPECT_EQ(out["data"], items);
  EXPECT_EQ(out["next"], "evt_2");
  EXPECT_EQ(out.size(), 2u);
}

TEST(ListJsonTest, NextIsNullWhenThereIsNoMore) {
  json items = json::array({{{"id", "evt_1"}}, {{"id", "evt_2"}}});
  json out = ListJson(items, false);
  EXPECT_EQ(out["data"], items);
  ASSERT_TRUE(out.contains("next"));
  EXPECT_TRUE(out["next"].is_null());
}

TEST(ListJsonTest, EmptyList) {
  for (bool has_more : {false, true}) {
    json out = ListJson(json::array(), has_more);
    EXPECT_TRUE(out["data"].is_array());
    EXPECT_TRUE(out["data"].empty());
    ASSERT_TRUE(out.contains("next"));
    EXPECT_TRUE(out["next"].is_null());
  }
}

TEST(OptionalFieldsTest, OptionalString) {
  json obj = {{"name", "gh"}, {"n", 3}, {"nothing", nullptr}};
  auto name = OptionalString(obj, "name");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, std::optional<std::string>("gh"));
  auto missing = OptionalString(obj, "missing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto null = OptionalString(obj, "nothing");
  ASSERT_TRUE(null.ok());
  EXPECT_FALSE(null->has_value());
  auto wrong = OptionalString(obj, "n");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().kind(), ErrorKind::kInvalidField);
  EXPECT_NE(wrong.status().message().find("n"), std::string::npos);
}

TEST(OptionalFieldsTest, OptionalInt) {
  json obj = {{"t", 300}, {"low", 0}, {"high", 3601}, {"s", "300"}, {"f", 1.5}, {"neg", -5}};
  auto t = OptionalInt(obj, "t", 1, 3600);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, std::optional<int64_t>(300));
  EXPECT_FALSE(OptionalInt(obj, "low", 1, 3600).ok());
  EXPECT_FALSE(OptionalInt(obj, "high", 1, 3600).ok());
  EXPECT_FALSE(OptionalInt(obj, "s", 1, 3600).ok());
  EXPECT_FALSE(OptionalInt(obj, "f", 1, 3600).ok());
  EXPECT_FALSE(OptionalInt(obj, "neg", 0, 10).ok());
  auto missing = OptionalInt(obj, "missing", 1, 3600);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto edge = OptionalInt(obj, "t", 300, 300);
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(*edge, std::optional<int64_t>(300));
}

}  // namespace
}  // namespace hookd
