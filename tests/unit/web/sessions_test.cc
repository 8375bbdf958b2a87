#include "web/sessions.h"

#include <chrono>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/random.h"
#include "tests/unit/web/fake_session_store.h"

namespace hookd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::FakeSessionStore;

constexpr int64_t kStart = 1'700'000'000'000;

class SessionsTest : public ::testing::Test {
 protected:
  SessionsTest() : clock_(kStart), random_(42) {}

  Sessions Make(const std::string& token = "admin-token") {
    return Sessions(store_, clock_, random_, Sessions::TokenFingerprint(token), options_);
  }
  std::string NewValue(Sessions& s) {
    auto created = s.Create();
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->value : "";
  }

  FakeSessionStore store_;
  FakeClock clock_;
  SeededRandom random_;
  SessionOptions options_;  // 12h idle, 7d absolute, 1 min touches, 10 s cache
};

TEST_F(SessionsTest, CreateGivesRandomDistinctValuesThatValidate) {
  Sessions s = Make();
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto created = s.Create();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ(created->value.size(), 64u);  // 256 bits in hex
    EXPECT_EQ(created->value.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(created->expires_at, kStart + options_.max_age.count());
    EXPECT_TRUE(seen.insert(created->value).second) << "repeated " << created->value;
    EXPECT_TRUE(s.Validate(created->value).ok());
  }
  EXPECT_EQ(store_.rows.size(), 20u);
}

TEST_F(SessionsTest, StoresOnlyAHashOfTheValueAndTheTokenFingerprint) {
  Sessions s = Make("admin-token");
  const std::string value = NewValue(s);
  ASSERT_EQ(store_.rows.size(), 1u);
  const SessionRecord& r = store_.rows.begin()->second;
  EXPECT_EQ(r.id_hash, HexEncode(Sha256(value)));
  EXPECT_EQ(r.token_fingerprint, Sessions::TokenFingerprint("admin-token"));
  EXPECT_EQ(r.created_at, kStart);
  EXPECT_EQ(r.last_seen_at, kStart);
  for (const std::string& field : {r.id_hash, r.token_fingerprint}) {
    EXPECT_EQ(field.find(value), std::string::npos);
    EXPECT_EQ(field.find("admin-token"), std::string::npos);
  }
  // The stored hash is not itself a usable cookie value.
  EXPECT_EQ(s.Validate(r.id_hash).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, TokenFingerprint) {
  const std::string a = Sessions::TokenFingerprint("token-a");
  EXPECT_EQ(a, Sessions::TokenFingerprint("token-a"));
  EXPECT_NE(a, Sessions::TokenFingerprint("token-b"));
  EXPECT_NE(a, Sessions::TokenFingerprint("token-a "));
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find("token-a"), std::string::npos);
  // Not the digest bearer tokens are compared by.
  EXPECT_NE(a, HexEncode(Sha256("token-a")));
}

TEST_F(SessionsTest, RejectsMalformedAndUnknownValues) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  std::string upper = value;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string flipped = value;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  const int gets_before = store_.gets;
  for (const std::string& bad :
       {std::string(), value.substr(0, 63), value + "0", upper, std::string(64, 'g'),
        value.substr(0, 62) + "\r\n", std::string("admin-token")}) {
    Status st = s.Validate(bad);
    EXPECT_EQ(st.kind(), ErrorKind::kUnauthenticated) << bad;
    EXPECT_EQ(st.code(), "unauthorized");
  }
  // Malformed values are refused without asking the store.
  EXPECT_EQ(store_.gets, gets_before);
  EXPECT_EQ(s.Validate(flipped).kind(), ErrorKind::kUnauthenticated);
  EXPECT_TRUE(s.Validate(value).ok());
}

TEST_F(SessionsTest, IdleExpiry) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  clock_.Advance(options_.idle - milliseconds(1));
  EXPECT_TRUE(s.Validate(value).ok());  // used: the idle clock starts over
  clock_.Advance(options_.idle - milliseconds(1));
  EXPECT_TRUE(s.Validate(value).ok());
  clock_.Advance(options_.idle);
  Status st = s.Validate(value);
  EXPECT_EQ(st.kind(), ErrorKind::kUnauthenticated);
  EXPECT_NE(st.message().find("expired"), std::string::npos) << st.message();
  // And it stays expired.
  EXPECT_EQ(s.Validate(value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, IdleExpiryFromTheStoreAfterARestart) {
  std::string value;
  {
    Sessions first = Make();
    value = NewValue(first);
  }
  Sessions second = Make();  // a restart: nothing in memory
  clock_.Advance(options_.idle - minutes(5));
  EXPECT_TRUE(second.Validate(value).ok());
  Sessions third = Make();
  clock_.Advance(options_.idle - minutes(1));
  EXPECT_TRUE(third.Validate(value).ok());  // the second process's use was written
  Sessions fourth = Make();
  clock_.Advance(options_.idle + minutes(2));
  EXPECT_EQ(fourth.Validate(value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, AbsoluteExpiryEvenWhenInUse) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  const int64_t step = milliseconds(hours(1)).count();
  int64_t elapsed = 0;
  while (elapsed + step < options_.max_age.count()) {
    clock_.Advance(hours(1));
    elapsed += step;
    ASSERT_TRUE(s.Validate(value).ok()) << "after " << elapsed << " ms";
  }
  clock_.Advance(milliseconds(options_.max_age.count() - elapsed));
  EXPECT_EQ(s.Validate(value).kind(), ErrorKind::kUnauthenticated);
  // Another process (nothing cached) agrees.
  Sessions other = Make();
  EXPECT_EQ(other.Validate(value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, RevokeEndsTheSessionAtOnce) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  const std::string kept = NewValue(s);
  ASSERT_TRUE(s.Validate(value).ok());  // cached now
  ASSERT_TRUE(s.Revoke(value).ok());
  EXPECT_EQ(s.Validate(value).kind(), ErrorKind::kUnauthenticated);
  EXPECT_EQ(store_.rows.count(HexEncode(Sha256(value))), 0u);
  EXPECT_TRUE(s.Validate(kept).ok());
  // Another process does not accept it either.
  Sessions other = Make();
  EXPECT_EQ(other.Validate(value).kind(), ErrorKind::kUnauthenticated);
  // Revoking again, or revoking nonsense, is fine.
  EXPECT_TRUE(s.Revoke(value).ok());
  EXPECT_TRUE(s.Revoke("not-a-session").ok());
  EXPECT_TRUE(s.Revoke(std::string(64, 'a')).ok());
}

TEST_F(SessionsTest, RevokeTakesEffectHereEvenWhenTheStoreFails) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  ASSERT_TRUE(s.Validate(value).ok());
  store_.fail = true;
  Status st = s.Revoke(value);
  EXPECT_EQ(st.kind(), ErrorKind::kUnavailable);
  store_.fail = false;
  EXPECT_EQ(s.Validate(value).kind(), ErrorKind::kUnauthenticated);
  clock_.Advance(minutes(5));  // past the cache: still refused
  EXPECT_EQ(s.Validate(value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, RevokeByAnotherProcessSeenWithinTheCacheTtl) {
  Sessions here = Make();
  Sessions there = Make();
  const std::string value = NewValue(here);
  ASSERT_TRUE(here.Validate(value).ok());
  ASSERT_TRUE(there.Revoke(value).ok());
  clock_.Advance(options_.cache_ttl);
  EXPECT_EQ(here.Validate(value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, TokenChangeRevokesEverySession) {
  std::string value;
  {
    Sessions old_token = Make("old-token");
    value = NewValue(old_token);
    NewValue(old_token);
  }
  Sessions new_token = Make("new-token");  // a restart with another HOOKD_ADMIN_TOKEN
  EXPECT_EQ(new_token.Validate(value).kind(), ErrorKind::kUnauthenticated);
  ASSERT_TRUE(new_token.DeleteStale().ok());
  EXPECT_TRUE(store_.rows.empty());
  // Sessions made under the new token work; back under the old token they do not.
  const std::string fresh = NewValue(new_token);
  EXPECT_TRUE(new_token.Validate(fresh).ok());
  Sessions old_again = Make("old-token");
  EXPECT_EQ(old_again.Validate(fresh).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, ValidationIsAnsweredFromMemoryWithinTheCacheTtl) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  const int gets = store_.gets;
  for (int i = 0; i < 100; ++i) {
    clock_.Advance(milliseconds(50));
    ASSERT_TRUE(s.Validate(value).ok());
  }
  EXPECT_EQ(store_.gets, gets);  // 5 s of requests, no reads
  clock_.Advance(options_.cache_ttl);
  ASSERT_TRUE(s.Validate(value).ok());
  EXPECT_EQ(store_.gets, gets + 1);  // confirmed again once the cache is stale
}

TEST_F(SessionsTest, LastSeenIsWrittenAtMostOncePerTouchInterval) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  const std::string hash = HexEncode(Sha256(value));
  for (int i = 0; i < 59; ++i) {
    clock_.Advance(seconds(1));
    ASSERT_TRUE(s.Validate(value).ok());
  }
  EXPECT_EQ(store_.touches, 0);
  EXPECT_EQ(store_.rows[hash].last_seen_at, kStart);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(s.Validate(value).ok());
  EXPECT_EQ(store_.touches, 1);
  EXPECT_EQ(store_.rows[hash].last_seen_at, kStart + 60'000);
  for (int i = 0; i < 30; ++i) {
    clock_.Advance(seconds(1));
    ASSERT_TRUE(s.Validate(value).ok());
  }
  EXPECT_EQ(store_.touches, 1);
  clock_.Advance(seconds(30));
  ASSERT_TRUE(s.Validate(value).ok());
  EXPECT_EQ(store_.touches, 2);
  EXPECT_EQ(store_.rows[hash].last_seen_at, kStart + 120'000);
}

TEST_F(SessionsTest, StoreFailures) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  ASSERT_TRUE(s.Validate(value).ok());
  store_.fail = true;
  // Sign-in: 503, no session.
  auto created = s.Create();
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().kind(), ErrorKind::kUnavailable);
  // Known from memory a moment ago: still valid.
  clock_.Advance(options_.cache_ttl - seconds(1));
  EXPECT_TRUE(s.Validate(value).ok());
  // Not confirmed lately: the store cannot tell, so 503, never OK.
  clock_.Advance(seconds(1));
  EXPECT_EQ(s.Validate(value).kind(), ErrorKind::kUnavailable);
  Sessions fresh = Make();
  EXPECT_EQ(fresh.Validate(value).kind(), ErrorKind::kUnavailable);
  store_.fail = false;
  EXPECT_TRUE(s.Validate(value).ok());
  EXPECT_TRUE(fresh.Validate(value).ok());
}

TEST_F(SessionsTest, AFailedTouchDoesNotRefuseTheRequest) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  clock_.Advance(options_.touch_interval - seconds(5));
  ASSERT_TRUE(s.Validate(value).ok());  // confirmed by the store just now
  store_.fail = true;
  clock_.Advance(seconds(5));  // a touch is due, within the cache TTL
  EXPECT_TRUE(s.Validate(value).ok());
  EXPECT_EQ(store_.touches, 1);
}

TEST_F(SessionsTest, CreateDeletesStaleSessions) {
  Sessions s = Make();
  const std::string old_value = NewValue(s);
  clock_.Advance(options_.idle + options_.touch_interval + milliseconds(1));
  const std::string new_value = NewValue(s);
  EXPECT_EQ(store_.rows.size(), 1u);
  EXPECT_EQ(store_.rows.count(HexEncode(Sha256(new_value))), 1u);
  EXPECT_EQ(s.Validate(old_value).kind(), ErrorKind::kUnauthenticated);
}

TEST_F(SessionsTest, StaleDeletionSparesSessionsWhoseLastUseIsNotWrittenYet) {
  Sessions s = Make();
  const std::string value = NewValue(s);
  clock_.Advance(options_.touch_interval - seconds(1));
  ASSERT_TRUE(s.Validate(value).ok());  // used, but not written (under a touch interval)
  clock_.Advance(options_.idle - seconds(1));
  ASSERT_TRUE(s.DeleteStale().ok());
  EXPECT_EQ(store_.rows.size(), 1u);
  EXPECT_TRUE(s.Validate(value).ok());
}

}  // namespace
}  // namespace hookd
