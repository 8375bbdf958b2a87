// The log settings of `hookd serve` (--log-level, --log-format, --access-log) and the start-up
// line's view of the settings.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "app/settings.h"

namespace hookd {
namespace {

GetEnv EnvOf(const std::map<std::string, std::string>& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(LogSettingsTest, DefaultsAreInfoTextWithoutAccessLog) {
  const std::map<std::string, std::string> env;
  auto s = ParseSettings({}, EnvOf(env));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->log_level, LogLevel::kInfo);
  EXPECT_EQ(s->log_format, LogFormat::kText);
  EXPECT_FALSE(s->access_log);
}

TEST(LogSettingsTest, FromTheEnvironmentAndFlags) {
  const std::map<std::string, std::string> env = {
      {"HOOKD_LOG_LEVEL", "warn"}, {"HOOKD_LOG_FORMAT", "json"}, {"HOOKD_ACCESS_LOG", "1"}};
  auto s = ParseSettings({}, EnvOf(env));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->log_level, LogLevel::kWarn);
  EXPECT_EQ(s->log_format, LogFormat::kJson);
  EXPECT_TRUE(s->access_log);

  auto flags = ParseSettings({"--log-level", "debug", "--log-format=text", "--access-log=false"},
                             EnvOf(env));
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->log_level, LogLevel::kDebug);
  EXPECT_EQ(flags->log_format, LogFormat::kText);
  EXPECT_FALSE(flags->access_log);

  // --access-log alone turns it on, and the next argument is still a flag.
  auto bare = ParseSettings({"--access-log", "--log-level", "error"}, EnvOf({}));
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(bare->access_log);
  EXPECT_EQ(bare->log_level, LogLevel::kError);
}

TEST(LogSettingsTest, BadValuesNameTheSetting) {
  const std::map<std::string, std::string> none;
  for (const auto& [args, word] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--log-level", "verbose"}, "--log-level"},
           {{"--log-level="}, "--log-level"},
           {{"--log-format", "xml"}, "--log-format"},
           {{"--access-log=maybe"}, "--access-log"}}) {
    auto s = ParseSettings(args, EnvOf(none));
    ASSERT_FALSE(s.ok()) << args[0];
    EXPECT_EQ(s.status().code(), "invalid_field");
    EXPECT_NE(s.status().message().find(word), std::string::npos) << s.status().message();
  }
  const std::map<std::string, std::string> env = {{"HOOKD_LOG_FORMAT", "yaml"}};
  EXPECT_FALSE(ParseSettings({}, EnvOf(env)).ok());
}

TEST(LogSettingsTest, TheStartUpFieldsMaskTheAdminToken) {
  const std::string token = "a-very-secret-admin-token-0123456789";
  const std::map<std::string, std::string> env = {{"HOOKD_ADMIN_TOKEN", token},
                                                  {"HOOKD_RETRY_SCHEDULE", "1s,90s,2h"}};
  auto s = ParseSettings({"--retention", "off", "--data-dir", "/var/lib/hookd"}, EnvOf(env));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::map<std::string, std::string> fields;
  for (const LogField& f : SettingsLogFields(*s)) {
    EXPECT_EQ(f.value.find(token), std::string::npos) << f.key;
    fields[f.key] = f.value;
  }
  EXPECT_EQ(fields["admin_token"], "***");
  EXPECT_EQ(fields["data_dir"], "/var/lib/hookd");
  EXPECT_EQ(fields["listen"], "127.0.0.1:8080");
  EXPECT_EQ(fields["retry_schedule"], "1s,90s,2h");
  EXPECT_EQ(fields["retention"], "off");
  EXPECT_EQ(fields["delivery_timeout"], "15s");
  EXPECT_EQ(fields["disable_after"], "5d");
  EXPECT_EQ(fields["roles"], "api,deliver,ingest");
  EXPECT_EQ(fields["log_format"], "text");

  auto generated = ParseSettings({}, EnvOf({}));
  ASSERT_TRUE(generated.ok());
  for (const LogField& f : SettingsLogFields(*generated))
    if (f.key == "admin_token") {
      EXPECT_EQ(f.value, "(data dir)");
    }
}

TEST(LogSettingsTest, TheRequestedFormatIsKnownEvenWhenSettingsFail) {
  const std::map<std::string, std::string> json = {{"HOOKD_LOG_FORMAT", "json"}};
  const std::map<std::string, std::string> none;
  EXPECT_EQ(RequestedLogFormat({"--bogus"}, EnvOf(json)), LogFormat::kJson);
  EXPECT_EQ(RequestedLogFormat({"--log-format", "json", "--bogus"}, EnvOf(none)), LogFormat::kJson);
  EXPECT_EQ(RequestedLogFormat({"--log-format=json"}, EnvOf(none)), LogFormat::kJson);
  EXPECT_EQ(RequestedLogFormat({"--log-format", "text"}, EnvOf(json)), LogFormat::kText);
  EXPECT_EQ(RequestedLogFormat({}, EnvOf(none)), LogFormat::kText);
}

}  // namespace
}  // namespace hookd
