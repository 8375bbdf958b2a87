// What an application request may hold (apps/application.h): names, uids and metadata, each
// bad form refused with the member it names.
#include "apps/application.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using nlohmann::json;

TEST(ApplicationTest, UidsAreShortTokens) {
  for (const char* ok : {"a", "acme", "Acme-Corp_2.eu", "0123456789"}) EXPECT_TRUE(IsValidUid(ok));
  EXPECT_TRUE(IsValidUid(std::string(64, 'u')));
  EXPECT_FALSE(IsValidUid(std::string(65, 'u')));
  for (const char* bad : {"", "a b", "a/b", "é", "a\nb", "a%b", "a+b"})
    EXPECT_FALSE(IsValidUid(bad)) << bad;
}

TEST(ApplicationTest, AChangeHoldsWhatWasGivenOnly) {
  auto c = ParseApplicationChange({{"name", "Acme"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->name, "Acme");
  EXPECT_FALSE(c->uid.has_value());
  EXPECT_FALSE(c->metadata.has_value());
  auto full = ParseApplicationChange({{"name", "A"}, {"uid", "a"}, {"metadata", {{"k", "v"}}}});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full->uid, std::optional<std::string>("a"));
  EXPECT_EQ(full->metadata->at("k"), "v");
  // null removes the uid.
  auto cleared = ParseApplicationChange({{"uid", nullptr}});
  ASSERT_TRUE(cleared.ok());
  ASSERT_TRUE(cleared->uid.has_value());
  EXPECT_FALSE(cleared->uid->has_value());
}

TEST(ApplicationTest, BadMembersAreNamed) {
  json many = json::object();
  for (int i = 0; i < 51; ++i) {
    std::string key = "k";
    key += std::to_string(i);
    many[key] = "v";
  }
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"name", 1}}, "name"},
      {{{"name", ""}}, "name"},
      {{{"uid", "a b"}}, "uid"},
      {{{"uid", "app_x"}}, "app_"},
      {{{"metadata", {{"k", 1}}}}, "metadata.k"},
      {{{"metadata", many}}, "50"},
      {{{"metadata", {{std::string(65, 'k'), "v"}}}}, "keys"},
      {{{"metadata", {{"k", std::string(1025, 'v')}}}}, "1024"},
      {{{"nope", 1}}, "nope"},
  };
  for (const auto& [body, named] : cases) {
    auto c = ParseApplicationChange(body);
    ASSERT_FALSE(c.ok()) << body.dump();
    EXPECT_EQ(c.status().code(), "invalid_field") << body.dump();
    EXPECT_NE(c.status().message().find(named), std::string::npos)
        << body.dump() << ": " << c.status().message();
  }
}

}  // namespace
}  // namespace hookd
