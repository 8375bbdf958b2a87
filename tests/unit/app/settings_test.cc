#include "app/settings.h"

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hookd {
namespace {

using std::chrono::milliseconds;

// A fake environment: a map read through the GetEnv signature.
class FakeEnv {
 public:
  FakeEnv(std::map<std::string, std::string> vars = {}) : vars_(std::move(vars)) {}
  GetEnv getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

Result<Settings> Parse(const std::vector<std::string>& args,
                       std::map<std::string, std::string> env = {}) {
  FakeEnv fake(std::move(env));
  return ParseSettings(args, fake.getenv());
}

// Expects a 422 invalid_field whose message names `flag` (or, for a variable, `env`).
void ExpectRejected(const Result<Settings>& r, const std::string& flag, const std::string& env = "",
                    const std::string& context = "") {
  ASSERT_FALSE(r.ok()) << "accepted: " << context;
  EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidField) << context;
  EXPECT_EQ(r.status().code(), "invalid_field") << context;
  const std::string& msg = r.status().message();
  const bool names_it =
      msg.find(flag) != std::string::npos || (!env.empty() && msg.find(env) != std::string::npos);
  EXPECT_TRUE(names_it) << context << ": message \"" << msg << "\" does not name " << flag;
}

TEST(SettingsTest, Defaults) {
  auto s = Parse({});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->listen.host, "127.0.0.1");
  EXPECT_EQ(s->listen.port, 8080);
  EXPECT_EQ(s->listen.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(s->stream_listen.ToString(), "127.0.0.1:8081");
  EXPECT_EQ(s->data_dir, "./data");
  EXPECT_EQ(s->max_body, 1048576u);
  EXPECT_EQ(s->admin_token, "");
  EXPECT_FALSE(s->allow_private_targets);
  EXPECT_EQ(s->delivery_timeout, milliseconds(15000));
  EXPECT_EQ(s->http_threads, 2);
  EXPECT_EQ(s->sqlite_synchronous, "FULL");
  EXPECT_EQ(s->roles, (std::set<std::string>{"ingest", "api", "deliver"}));
  EXPECT_TRUE(s->HasRole("ingest"));
  EXPECT_TRUE(s->HasRole("api"));
  EXPECT_TRUE(s->HasRole("deliver"));
  const std::vector<milliseconds> schedule = {std::chrono::seconds(5),  std::chrono::minutes(5),
                                              std::chrono::minutes(30), std::chrono::hours(2),
                                              std::chrono::hours(5),    std::chrono::hours(10),
                                              std::chrono::hours(10)};
  EXPECT_EQ(s->retry_schedule, schedule);
}

TEST(SettingsTest, EnvironmentOverridesDefaults) {
  auto s = Parse({}, {{"HOOKD_LISTEN", "0.0.0.0:9000"},
                      {"HOOKD_STREAM_LISTEN", "0.0.0.0:9001"},
                      {"HOOKD_DATA_DIR", "/var/lib/hookd"},
                      {"HOOKD_ADMIN_TOKEN", "tok_5f3a9c1e2b7d4a6f8e0c1b3d"},
                      {"HOOKD_RETRY_SCHEDULE", "1s,2s"},
                      {"HOOKD_ALLOW_PRIVATE_TARGETS", "yes"},
                      {"HOOKD_DELIVERY_TIMEOUT", "30s"},
                      {"HOOKD_MAX_BODY", "2MiB"},
                      {"HOOKD_HTTP_THREADS", "8"},
                      {"HOOKD_SQLITE_SYNCHRONOUS", "NORMAL"},
                      {"HOOKD_ROLES", "deliver"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->listen.ToString(), "0.0.0.0:9000");
  EXPECT_EQ(s->stream_listen.ToString(), "0.0.0.0:9001");
  EXPECT_EQ(s->data_dir, "/var/lib/hookd");
  EXPECT_EQ(s->admin_token, "tok_5f3a9c1e2b7d4a6f8e0c1b3d");
  EXPECT_EQ(s->retry_schedule, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000)}));
  EXPECT_TRUE(s->allow_private_targets);
  EXPECT_EQ(s->delivery_timeout, milliseconds(30000));
  EXPECT_EQ(s->max_body, 2u << 20);
  EXPECT_EQ(s->http_threads, 8);
  EXPECT_EQ(s->sqlite_synchronous, "NORMAL");
  EXPECT_EQ(s->roles, std::set<std::string>{"deliver"});
  EXPECT_FALSE(s->HasRole("ingest"));
}

TEST(SettingsTest, FlagOverridesEnvironment) {
  auto s = Parse({"--listen", "127.0.0.1:7000", "--max-body=4MiB", "--data-dir", "/tmp/x"},
                 {{"HOOKD_LISTEN", "0.0.0.0:9000"},
                  {"HOOKD_MAX_BODY", "2MiB"},
                  {"HOOKD_DATA_DIR", "/var/lib/hookd"},
                  {"HOOKD_HTTP_THREADS", "4"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->listen.ToString(), "127.0.0.1:7000");
  EXPECT_EQ(s->max_body, 4u << 20);
  EXPECT_EQ(s->data_dir, "/tmp/x");
  EXPECT_EQ(s->http_threads, 4);  // no flag: the environment still applies
}

TEST(SettingsTest, FlagValueSpaceAndEqualsForms) {
  auto spaced = Parse({"--delivery-timeout", "500ms", "--http-threads", "3", "--retry-schedule",
                       "5s,1m", "--sqlite-synchronous", "NORMAL", "--stream-listen", "[::1]:9100"});
  auto equals = Parse({"--delivery-timeout=500ms", "--http-threads=3", "--retry-schedule=5s,1m",
                       "--sqlite-synchronous=NORMAL", "--stream-listen=[::1]:9100"});
  for (const auto* s : {&spaced, &equals}) {
    ASSERT_TRUE(s->ok()) << s->status().ToString();
    EXPECT_EQ((*s)->delivery_timeout, milliseconds(500));
    EXPECT_EQ((*s)->http_threads, 3);
    EXPECT_EQ((*s)->retry_schedule,
              (std::vector<milliseconds>{milliseconds(5000), milliseconds(60000)}));
    EXPECT_EQ((*s)->sqlite_synchronous, "NORMAL");
    EXPECT_EQ((*s)->stream_listen.host, "::1");
    EXPECT_EQ((*s)->stream_listen.port, 9100);
    EXPECT_EQ((*s)->stream_listen.ToString(), "[::1]:9100");
  }
}

TEST(SettingsTest, EqualsFormKeepsLaterEqualsSigns) {
  auto s = Parse({"--data-dir=/tmp/a=b"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->data_dir, "/tmp/a=b");
}

TEST(SettingsTest, LastFlagWins) {
  auto s = Parse({"--http-threads=3", "--http-threads", "5"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->http_threads, 5);
}

TEST(SettingsTest, AllowPrivateTargetsBareAndWithValue) {
  auto bare = Parse({"--allow-private-targets"});
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(bare->allow_private_targets);
  auto off = Parse({"--allow-private-targets=false"}, {{"HOOKD_ALLOW_PRIVATE_TARGETS", "1"}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->allow_private_targets);
  auto bare_then_more = Parse({"--allow-private-targets", "--http-threads", "6"});
  ASSERT_TRUE(bare_then_more.ok()) << bare_then_more.status().ToString();
  EXPECT_TRUE(bare_then_more->allow_private_targets);
  EXPECT_EQ(bare_then_more->http_threads, 6);
}

TEST(SettingsTest, MetricsPerIdIsOffUnlessAsked) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->metrics_per_id);
  EXPECT_EQ(defaults->metrics_token, "");
  auto env = Parse({}, {{"HOOKD_METRICS_PER_ID", "1"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_TRUE(env->metrics_per_id);
  auto bare = Parse({"--metrics-per-id", "--http-threads", "3"});
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(bare->metrics_per_id);
  EXPECT_EQ(bare->http_threads, 3);
  auto off = Parse({"--metrics-per-id=false"}, {{"HOOKD_METRICS_PER_ID", "1"}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->metrics_per_id);
  ExpectRejected(Parse({}, {{"HOOKD_METRICS_PER_ID", "sometimes"}}), "--metrics-per-id",
                 "HOOKD_METRICS_PER_ID");
}

TEST(SettingsTest, MetricsTokenOnlyFromEnvironmentAndStrong) {
  ExpectRejected(Parse({"--metrics-token=abc"}), "--metrics-token");
  for (const char* weak : {"x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    auto r = Parse({}, {{"HOOKD_METRICS_TOKEN", weak}});
    ExpectRejected(r, "HOOKD_METRICS_TOKEN", "", weak);
  }
  const std::string strong = "mtk_0123456789abcdef0123456789abcdef";
  auto ok = Parse({}, {{"HOOKD_METRICS_TOKEN", strong}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->metrics_token, strong);
  auto empty = Parse({}, {{"HOOKD_METRICS_TOKEN", ""}});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->metrics_token, "");
}

TEST(SettingsTest, Sessions) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->session_idle, std::chrono::hours(12));
  EXPECT_EQ(defaults->session_max_age, std::chrono::hours(7 * 24));
  EXPECT_FALSE(defaults->secure_cookies);

  auto env = Parse({}, {{"HOOKD_SESSION_IDLE", "30m"},
                        {"HOOKD_SESSION_MAX_AGE", "1d"},
                        {"HOOKD_SECURE_COOKIES", "on"}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->session_idle, std::chrono::minutes(30));
  EXPECT_EQ(env->session_max_age, std::chrono::hours(24));
  EXPECT_TRUE(env->secure_cookies);

  auto flags = Parse({"--session-idle", "1m", "--session-max-age=366d", "--secure-cookies"},
                     {{"HOOKD_SECURE_COOKIES", "off"}});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->session_idle, std::chrono::minutes(1));
  EXPECT_EQ(flags->session_max_age, std::chrono::hours(366 * 24));
  EXPECT_TRUE(flags->secure_cookies);

  ExpectRejected(Parse({}, {{"HOOKD_SESSION_IDLE", "forever"}}), "--session-idle",
                 "HOOKD_SESSION_IDLE", "HOOKD_SESSION_IDLE");
}

TEST(SettingsTest, Roles) {
  auto s = Parse({"--roles", "ingest,api"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->roles, (std::set<std::string>{"ingest", "api"}));
  EXPECT_TRUE(s->HasRole("ingest"));
  EXPECT_TRUE(s->HasRole("api"));
  EXPECT_FALSE(s->HasRole("deliver"));

  auto one = Parse({"--roles=api"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->roles, std::set<std::string>{"api"});

  // The flag replaces the environment's roles rather than adding to them.
  auto replaced = Parse({"--roles=ingest"}, {{"HOOKD_ROLES", "api,deliver"}});
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->roles, std::set<std::string>{"ingest"});
}

TEST(SettingsTest, AdminTokenOnlyFromEnvironment) {
  ExpectRejected(Parse({"--admin-token=abc"}), "--admin-token", "", "--admin-token");
}

TEST(SettingsTest, AWeakAdminTokenIsRefused) {
  for (const char* weak :
       {"x", "test-token", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "correct horse battery staple"}) {
    auto r = Parse({}, {{"HOOKD_ADMIN_TOKEN", weak}});
    ExpectRejected(r, "HOOKD_ADMIN_TOKEN", "", weak);
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("at least 24"), std::string::npos);
    }
  }
  // Unset or empty: hookd generates one (common/admin_auth.h).
  auto empty = Parse({}, {{"HOOKD_ADMIN_TOKEN", ""}});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->admin_token, "");
  auto generated =
      Parse({}, {{"HOOKD_ADMIN_TOKEN", "hkd_0123456789abcdef0123456789abcdef0123456789abcdef"}});
  EXPECT_TRUE(generated.ok()) << generated.status().ToString();
}

TEST(SettingsTest, UnknownFlagsRejected) {
  ExpectRejected(Parse({"--nope", "x"}), "--nope", "", "--nope x");
  ExpectRejected(Parse({"--nope=x"}), "--nope", "", "--nope=x");
  ExpectRejected(Parse({"--listen=127.0.0.1:1", "--lsten=127.0.0.1:2"}), "--lsten", "", "--lsten");
  ExpectRejected(Parse({"-listen", "127.0.0.1:1"}), "-listen", "", "-listen");
}

TEST(SettingsTest, FlagWithoutValueRejected) {
  ExpectRejected(Parse({"--listen"}), "--listen", "", "--listen at the end");
  ExpectRejected(Parse({"--http-threads=2", "--max-body"}), "--max-body", "",
                 "--max-body at the end");
}

TEST(SettingsTest, BadValuesNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {{"--listen=127.0.0.1:99999"}, "--listen"},
      {{"--listen", "127.0.0.1:http"}, "--listen"},
      {{"--listen=127.0.0.1"}, "--listen"},
      {{"--listen=127.0.0.1:"}, "--listen"},
      {{"--listen=127.0.0.1:-1"}, "--listen"},
      {{"--stream-listen=localhost:70000"}, "--stream-listen"},
      {{"--max-body=abc"}, "--max-body"},
      {{"--max-body", "1TiB"}, "--max-body"},
      {{"--max-body=1.5MiB"}, "--max-body"},
      {{"--max-body=100"}, "--max-body"},    // below 1KiB
      {{"--max-body=65MiB"}, "--max-body"},  // above 64MiB
      {{"--delivery-timeout=5x"}, "--delivery-timeout"},
      {{"--delivery-timeout", "15"}, "--delivery-timeout"},
      {{"--delivery-timeout=0s"}, "--delivery-timeout"},
      {{"--retry-schedule=5s,,5m"}, "--retry-schedule"},
      {{"--retry-schedule=5s,"}, "--retry-schedule"},
      {{"--retry-schedule="}, "--retry-schedule"},
      {{"--roles=ingest,web"}, "--roles"},
      {{"--roles", "ingest,,api"}, "--roles"},
      {{"--roles="}, "--roles"},
      {{"--http-threads=0"}, "--http-threads"},
      {{"--http-threads=65"}, "--http-threads"},
      {{"--http-threads=two"}, "--http-threads"},
      {{"--http-threads=2x"}, "--http-threads"},
      {{"--sqlite-synchronous=OFF"}, "--sqlite-synchronous"},
      {{"--allow-private-targets=maybe"}, "--allow-private-targets"},
      {{"--data-dir="}, "--data-dir"},
      {{"--session-idle=soon"}, "--session-idle"},
      {{"--session-idle=30s"}, "--session-idle"},      // under a minute
      {{"--session-idle=90500ms"}, "--session-idle"},  // not whole seconds
      {{"--session-max-age=400d"}, "--session-max-age"},
      {{"--session-max-age=0s"}, "--session-max-age"},
      {{"--secure-cookies=sometimes"}, "--secure-cookies"},
  };
  for (const Case& c : cases) {
    std::string context;
    for (const auto& a : c.args) context += a + " ";
    ExpectRejected(Parse(c.args), c.flag, "", context);
  }
}

TEST(SettingsTest, BadEnvironmentValuesNameTheSetting) {
  ExpectRejected(Parse({}, {{"HOOKD_LISTEN", "0.0.0.0:123456"}}), "--listen", "HOOKD_LISTEN",
                 "HOOKD_LISTEN");
  ExpectRejected(Parse({}, {{"HOOKD_MAX_BODY", "lots"}}), "--max-body", "HOOKD_MAX_BODY",
                 "HOOKD_MAX_BODY");
  ExpectRejected(Parse({}, {{"HOOKD_RETRY_SCHEDULE", "soon"}}), "--retry-schedule",
                 "HOOKD_RETRY_SCHEDULE", "HOOKD_RETRY_SCHEDULE");
  ExpectRejected(Parse({}, {{"HOOKD_ROLES", "everything"}}), "--roles", "HOOKD_ROLES",
                 "HOOKD_ROLES");
}

TEST(SettingsTest, AValidFlagRescuesABadEnvironmentValue) {
  // The flag replaces the variable, so the bad variable is never parsed.
  auto s = Parse({"--max-body=2MiB"}, {{"HOOKD_MAX_BODY", "lots"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->max_body, 2u << 20);
}

TEST(SettingsTest, RetentionDefaultsToThirtyDaysForEveryTable) {
  auto s = Parse({});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->retention, milliseconds(30LL * 24 * 3600 * 1000));
  EXPECT_EQ(s->retention_status_log, milliseconds(30LL * 24 * 3600 * 1000));
  EXPECT_EQ(s->retention_interval, milliseconds(60000));
}

TEST(SettingsTest, TheStatusLogFollowsRetentionUnlessSetItself) {
  auto s = Parse({}, {{"HOOKD_RETENTION", "7d"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->retention, milliseconds(7LL * 24 * 3600 * 1000));
  EXPECT_EQ(s->retention_status_log, milliseconds(7LL * 24 * 3600 * 1000));

  s = Parse({"--retention-status-log=36h"}, {{"HOOKD_RETENTION", "7d"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->retention, milliseconds(7LL * 24 * 3600 * 1000));
  EXPECT_EQ(s->retention_status_log, milliseconds(36LL * 3600 * 1000));

  s = Parse({"--retention=20s", "--retention-interval=2s"}, {{"HOOKD_RETENTION_STATUS_LOG", "1d"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->retention, milliseconds(20000));
  EXPECT_EQ(s->retention_status_log, milliseconds(24LL * 3600 * 1000));
  EXPECT_EQ(s->retention_interval, milliseconds(2000));
}

TEST(SettingsTest, RetentionOffKeepsEverything) {
  auto s = Parse({}, {{"HOOKD_RETENTION", "off"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->retention.has_value());
  EXPECT_FALSE(s->retention_status_log.has_value());  // follows HOOKD_RETENTION

  s = Parse({"--retention=OFF", "--retention-status-log=3d"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->retention.has_value());
  EXPECT_EQ(s->retention_status_log, milliseconds(3LL * 24 * 3600 * 1000));

  s = Parse({"--retention-status-log=off"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->retention.has_value());
  EXPECT_FALSE(s->retention_status_log.has_value());
}

TEST(SettingsTest, BadRetentionValuesAreRefused) {
  // "0" is not a way to say off: it reads as "delete everything at once".
  for (const char* bad : {"0", "0s", "500ms", "thirty", "30", "-1d", "30 days", "", "no"})
    ExpectRejected(Parse({}, {{"HOOKD_RETENTION", bad}}), "--retention", "HOOKD_RETENTION", bad);
  for (const char* bad : {"0", "1x", "never"})
    ExpectRejected(Parse({"--retention-status-log", bad}), "--retention-status-log", "", bad);
  for (const char* bad : {"0s", "50ms", "1", "soon", "off"})
    ExpectRejected(Parse({}, {{"HOOKD_RETENTION_INTERVAL", bad}}), "--retention-interval",
                   "HOOKD_RETENTION_INTERVAL", bad);
  const std::string msg = Parse({"--retention=0"}).status().message();
  EXPECT_NE(msg.find("off"), std::string::npos) << msg;
}

TEST(SettingsTest, ParseListenAddress) {
  auto v4 = ParseListenAddress("10.0.0.1:443");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "10.0.0.1");
  EXPECT_EQ(v4->port, 443);
  auto v6 = ParseListenAddress("[::]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::");
  EXPECT_EQ(v6->ToString(), "[::]:8080");
  auto name = ParseListenAddress("localhost:65535");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->port, 65535);
  for (const char* bad : {"", "8080", ":8080", "host:", "host:65536", "host:80a", "host: 80"})
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
}

TEST(SettingsTest, PublicUrlIsAnOriginWithoutAPath) {
  auto d = Parse({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->public_url, "");
  auto s = Parse({}, {{"HOOKD_PUBLIC_URL", "https://hookd.example.com"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->public_url, "https://hookd.example.com");
  for (const char* bad : {"hookd.example.com", "https://hookd.example.com/", "ftp://x", "https://"})
    EXPECT_FALSE(Parse({"--public-url", bad}).ok()) << bad;
}

TEST(SettingsTest, DatabaseUrlIsAPostgresUrlAndNeverRepeatedOrLogged) {
  auto d = Parse({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->database_url, "");
  for (const char* good : {"postgres://hookd:s3cret@db.example.com:5432/hookd?sslmode=require",
                           "postgresql:///hookd?host=/run/postgresql"}) {
    auto s = Parse({}, {{"HOOKD_DATABASE_URL", good}});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->database_url, good);
  }
  for (const char* bad : {"mysql://root:s3cret@db/hookd", "db.example.com", "sqlite:///x.db"}) {
    auto s = Parse({"--database-url", bad});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.status().message().find("--database-url"), std::string::npos);
    EXPECT_EQ(s.status().message().find("s3cret"), std::string::npos) << s.status().message();
  }
  auto s = Parse({"--database-url", "postgres://hookd:s3cret@db/hookd"});
  ASSERT_TRUE(s.ok());
  bool named = false;
  for (const LogField& f : SettingsLogFields(*s)) {
    std::string text = f.key;
    text += '=';
    text += f.value;
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
    if (f.key == "database") {
      named = true;
      EXPECT_EQ(text, "database=postgresql");
    }
  }
  EXPECT_TRUE(named);
}

TEST(SettingsTest, StreamSettings) {
  auto d = Parse({});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->dashboard_origins.empty());
  EXPECT_EQ(d->stream_queue_limit, 1u << 20);
  EXPECT_EQ(d->stream_ping_interval, milliseconds(15000));

  auto s = Parse({"--stream-queue-limit", "64KiB", "--stream-ping-interval=500ms"},
                 {{"HOOKD_DASHBOARD_ORIGIN", "https://hookd.example.com,http://localhost:3000"}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->dashboard_origins,
            (std::vector<std::string>{"https://hookd.example.com", "http://localhost:3000"}));
  EXPECT_EQ(s->stream_queue_limit, 64u << 10);
  EXPECT_EQ(s->stream_ping_interval, milliseconds(500));

  for (const char* bad : {"hookd.example.com", "https://hookd.example.com/", "ftp://x", "https://"})
    EXPECT_FALSE(Parse({"--dashboard-origin", bad}).ok()) << bad;
  EXPECT_FALSE(Parse({"--stream-queue-limit", "1KiB"}).ok());
  EXPECT_EQ(d->stream_max_connections, 10000u);
  auto m = Parse({}, {{"HOOKD_STREAM_MAX_CONNECTIONS", "20000"}});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->stream_max_connections, 20000u);
  EXPECT_FALSE(Parse({"--stream-max-connections", "0"}).ok());
  EXPECT_FALSE(Parse({"--stream-ping-interval", "10ms"}).ok());
}

// Found by fuzz_settings: the address printed by ToString did not read back as the same host.
TEST(SettingsTest, ReproducesFuzzFindingListenHostWithStrayBracketsIsRefused) {
  for (const char* bad : {"[[x]]:1", "[]:80", "[::1:80", "::1]:80", "a[b]:80"})
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  auto v6 = ParseListenAddress("[::1]:80");
  ASSERT_TRUE(v6.ok());
  auto again = ParseListenAddress(v6->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->host, "::1");
}

TEST(SettingsTest, HelpListsEveryFlagAndVariable) {
  const std::string help = SettingsHelp();
  for (const char* word : {"--listen",
                           "HOOKD_LISTEN",
                           "--stream-listen",
                           "--data-dir",
                           "HOOKD_ADMIN_TOKEN",
                           "--retry-schedule",
                           "--allow-private-targets",
                           "--delivery-timeout",
                           "--max-body",
                           "--http-threads",
                           "--sqlite-synchronous",
                           "--roles",
                           "HOOKD_ROLES",
                           "HOOKD_SESSION_IDLE",
                           "HOOKD_SESSION_MAX_AGE",
                           "HOOKD_SECURE_COOKIES",
                           "--retention",
                           "HOOKD_RETENTION",
                           "--retention-status-log",
                           "HOOKD_RETENTION_STATUS_LOG",
                           "--retention-interval",
                           "HOOKD_RETENTION_INTERVAL",
                           "--metrics-per-id",
                           "HOOKD_METRICS_PER_ID",
                           "HOOKD_METRICS_TOKEN",
                           "--dashboard-origin",
                           "HOOKD_DASHBOARD_ORIGIN",
                           "--stream-queue-limit",
                           "--stream-ping-interval"})
    EXPECT_NE(help.find(word), std::string::npos) << word;
}

// A bad value is reported under the name the operator used: the variable when it came from the
// environment, the flag when it came from the command line.
TEST(SettingsTest, ErrorsNameTheVariableOrTheFlagTheValueCameFrom) {
  auto from_env = Parse({}, {{"HOOKD_MAX_BODY", "lots"}});
  ASSERT_FALSE(from_env.ok());
  EXPECT_EQ(from_env.status().message().rfind("HOOKD_MAX_BODY: ", 0), 0u)
      << from_env.status().message();
  EXPECT_EQ(from_env.status().message().find("--max-body"), std::string::npos);

  auto from_flag = Parse({"--max-body", "lots"}, {{"HOOKD_MAX_BODY", "2MiB"}});
  ASSERT_FALSE(from_flag.ok());
  EXPECT_EQ(from_flag.status().message().rfind("--max-body: ", 0), 0u)
      << from_flag.status().message();

  // A flag overriding a bad variable: the flag's value is the one used, so nothing is wrong.
  EXPECT_TRUE(Parse({"--max-body=2MiB"}, {{"HOOKD_MAX_BODY", "lots"}}).ok());
  auto listen = Parse({}, {{"HOOKD_STREAM_LISTEN", "nowhere"}});
  ASSERT_FALSE(listen.ok());
  EXPECT_EQ(listen.status().message().rfind("HOOKD_STREAM_LISTEN: ", 0), 0u)
      << listen.status().message();
}

// `hookd serve --bogus` is an unknown flag, with or without something after it.
TEST(SettingsTest, UnknownFlagIsNamedAsUnknownEvenWithoutAValue) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--bogus"}, {"--bogus", "1"}, {"--bogus=1"}, {"--listen", "127.0.0.1:1", "--bogus"}}) {
    auto r = Parse(args);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("unknown flag --bogus"), std::string::npos)
        << r.status().message();
    EXPECT_EQ(r.status().message().find("needs a value"), std::string::npos);
  }
  auto missing = Parse({"--listen"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "--listen needs a value");
}

// Every settings line of --help has the flag, the variable and the default apart, however long
// the flag (--stream-max-connections once ran into its variable).
TEST(SettingsTest, HelpColumnsNeverRunTogether) {
  const std::string help = SettingsHelp();
  size_t lines = 0, pos = 0;
  while ((pos = help.find("\n  ", pos)) != std::string::npos) {
    pos += 3;
    if (help.compare(pos, 1, " ") == 0) continue;  // a description line
    const size_t end = help.find('\n', pos);
    const std::string line = help.substr(pos, end - pos);
    ++lines;
    const size_t env = line.find("HOOKD_");
    ASSERT_NE(env, std::string::npos) << line;
    if (line.starts_with("--")) {
      EXPECT_GE(line.find(' '), 2u) << line;
      EXPECT_LT(line.find(' '), env) << line;
      EXPECT_EQ(line.substr(env - 2, 2), "  ") << line;
    }
    const size_t env_end = line.find(' ', env);
    ASSERT_NE(env_end, std::string::npos) << line;
    EXPECT_EQ(line.substr(env_end, 2), "  ") << line;
  }
  EXPECT_GE(lines, 25u);
  EXPECT_NE(help.find("--stream-max-connections  HOOKD_STREAM_MAX_CONNECTIONS"), std::string::npos);
}

}  // namespace
}  // namespace hookd
