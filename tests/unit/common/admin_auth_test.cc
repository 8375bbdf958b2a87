#include "common/admin_auth.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "common/http_types.h"
#include "common/random.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

using hookd::testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

HttpRequest WithAuthorization(const std::string& value) {
  HttpRequest req;
  req.method = "GET";
  req.path = "/api/v1/sources";
  req.headers.Add("Authorization", value);
  return req;
}

TEST(AdminAuthTest, LoadUsesTheConfiguredToken) {
  TempDir dir;
  SeededRandom random(1);
  auto auth = AdminAuth::Load("configured-token", dir.path(), random);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->token(), "configured-token");
  EXPECT_FALSE(auth->generated());
  // No file is written when the token is configured.
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/admin_token"));
}

TEST(AdminAuthTest, ConfiguredTokenWinsOverTheFile) {
  TempDir dir;
  WriteFile(dir.path() + "/admin_token", "from-file\n");
  SeededRandom random(1);
  auto auth = AdminAuth::Load("from-env", dir.path(), random);
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->token(), "from-env");
  EXPECT_FALSE(auth->generated());
  EXPECT_EQ(ReadFile(dir.path() + "/admin_token"), "from-file\n");
}

TEST(AdminAuthTest, GeneratesATokenFileWithMode0600) {
  TempDir dir;
  SeededRandom random(7);
  auto auth = AdminAuth::Load("", dir.path(), random);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_TRUE(auth->generated());
  const std::string& token = auth->token();
  EXPECT_GE(token.size(), 32u) << token;  // enough entropy to be a secret
  for (char c : token) EXPECT_TRUE(std::isprint(static_cast<unsigned char>(c))) << token;
  EXPECT_EQ(token.find_first_of(" \t\r\n"), std::string::npos);

  const std::string path = dir.path() + "/admin_token";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The file holds the token (a trailing newline is fine).
  std::string stored = ReadFile(path);
  while (!stored.empty() && (stored.back() == '\n' || stored.back() == '\r')) stored.pop_back();
  EXPECT_EQ(stored, token);
}

TEST(AdminAuthTest, SecondLoadReadsTheSameToken) {
  TempDir dir;
  SeededRandom random(7);
  auto first = AdminAuth::Load("", dir.path(), random);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->generated());

  SeededRandom other(8);  // a different generator must not matter now
  auto second = AdminAuth::Load("", dir.path(), other);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->generated());
  EXPECT_EQ(second->token(), first->token());
  EXPECT_TRUE(second->CheckBearer(WithAuthorization("Bearer " + first->token())).ok());
}

TEST(AdminAuthTest, ReadsAHandWrittenTokenFile) {
  TempDir dir;
  WriteFile(dir.path() + "/admin_token", "my-own-token-of-good-length\r\n");
  SeededRandom random(1);
  auto auth = AdminAuth::Load("", dir.path(), random);
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_EQ(auth->token(), "my-own-token-of-good-length");
  EXPECT_FALSE(auth->generated());
}

TEST(AdminAuthTest, AWeakTokenFileIsRefused) {
  TempDir dir;
  WriteFile(dir.path() + "/admin_token", "my-own-token\n");
  SeededRandom random(1);
  auto auth = AdminAuth::Load("", dir.path(), random);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find(dir.path() + "/admin_token"), std::string::npos)
      << auth.status().message();
  EXPECT_NE(auth.status().message().find("at least 24"), std::string::npos)
      << auth.status().message();
}

TEST(AdminAuthTest, EmptyTokenFileIsAnError) {
  TempDir dir;
  WriteFile(dir.path() + "/admin_token", "\n");
  SeededRandom random(1);
  auto auth = AdminAuth::Load("", dir.path(), random);
  EXPECT_FALSE(auth.ok());
}

TEST(AdminAuthTest, MissingDataDirIsAnError) {
  TempDir dir;
  SeededRandom random(1);
  auto auth = AdminAuth::Load("", dir.path() + "/does/not/exist", random);
  EXPECT_FALSE(auth.ok());
}

TEST(AdminAuthTest, DifferentRandomGeneratesDifferentTokens) {
  TempDir a, b;
  SeededRandom r1(1), r2(2);
  auto t1 = AdminAuth::Load("", a.path(), r1);
  auto t2 = AdminAuth::Load("", b.path(), r2);
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_NE(t1->token(), t2->token());
}

TEST(AdminAuthTest, CheckAcceptsTheBearerToken) {
  AdminAuth auth("s3cret-token");
  EXPECT_TRUE(auth.CheckBearer(WithAuthorization("Bearer s3cret-token")).ok());
  // Header names are case-insensitive.
  HttpRequest lower;
  lower.headers.Add("authorization", "Bearer s3cret-token");
  EXPECT_TRUE(auth.CheckBearer(lower).ok());
  // Auth schemes are case-insensitive (RFC 7235).
  EXPECT_TRUE(auth.CheckBearer(WithAuthorization("bearer s3cret-token")).ok());
}

TEST(AdminAuthTest, CheckRejects) {
  AdminAuth auth("s3cret-token");
  HttpRequest none;
  Status s = auth.CheckBearer(none);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kUnauthenticated);
  EXPECT_EQ(s.code(), "unauthorized");

  for (const char* value : {
           "Bearer wrong-token",
           "Bearer s3cret-toke",    // prefix of the token
           "Bearer s3cret-token2",  // token plus a suffix
           "Bearer xs3cret-token",  // something before the token
           "Bearer S3CRET-TOKEN",   // tokens are case-sensitive
           "Bearer s3cret-token ",  // trailing space
           "Bearer  s3cret-token",  // two spaces
           "Bearer\ts3cret-token",
           "Bearer",
           "Bearer ",
           "",
           "s3cret-token",            // no scheme
           "Basic czNjcmV0LXRva2Vu",  // base64 of the token
           "Basic s3cret-token",
           "Token s3cret-token",
           "Bearers3cret-token",
       }) {
    Status r = auth.CheckBearer(WithAuthorization(value));
    EXPECT_FALSE(r.ok()) << "accepted \"" << value << "\"";
    EXPECT_EQ(r.kind(), ErrorKind::kUnauthenticated) << value;
  }

  // The token in another header does not count.
  HttpRequest other;
  other.headers.Add("X-Admin-Token", "s3cret-token");
  EXPECT_FALSE(auth.CheckBearer(other).ok());
}

TEST(AdminAuthTest, EmptyTokenNeverMatches) {
  // Even a misconfigured empty token must not let "Bearer " through.
  AdminAuth auth("");
  EXPECT_FALSE(auth.CheckBearer(WithAuthorization("Bearer ")).ok());
  EXPECT_FALSE(auth.CheckBearer(WithAuthorization("Bearer")).ok());
  HttpRequest none;
  EXPECT_FALSE(auth.CheckBearer(none).ok());
}

}  // namespace
}  // namespace hookd

namespace hookd {
namespace {

TEST(AdminAuthTest, TheBearerCheckIgnoresCookies) {
  // Sessions are web/sessions.h; AdminAuth knows only the token, even in a cookie.
  AdminAuth auth("s3cret-token");
  HttpRequest req;
  req.headers.Add("Cookie", "hookd_session=s3cret-token");
  EXPECT_FALSE(auth.CheckBearer(req).ok());
  EXPECT_TRUE(auth.TokenMatches("s3cret-token"));
  EXPECT_FALSE(auth.TokenMatches("s3cret-toke"));
  EXPECT_FALSE(auth.TokenMatches(""));
}

}  // namespace
}  // namespace hookd
