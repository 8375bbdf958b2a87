#include "common/units.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hookd {
namespace {

using std::chrono::milliseconds;

TEST(ParseDurationTest, AcceptsEveryUnit) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : {Case{"0ms", 0}, Case{"500ms", 500}, Case{"1s", 1000}, Case{"15s", 15000},
                        Case{"5m", 300000}, Case{"2h", 7200000}, Case{"1d", 86400000},
                        Case{"10h", 36000000}, Case{"90m", 5400000}}) {
    auto d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status().ToString();
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
}

TEST(ParseDurationTest, RejectsMalformed) {
  for (const char* text : {"", "5", "5x", "-5s", "s", "ms", "5 s", "5S", "5sec", "1.5s", "+5s",
                           "5s5", "five s", "5ss", "0x5s", " "}) {
    auto d = ParseDuration(text);
    EXPECT_FALSE(d.ok()) << "accepted \"" << text << "\"";
    if (!d.ok()) {
      EXPECT_EQ(d.status().kind(), ErrorKind::kInvalidField) << text;
      EXPECT_EQ(d.status().code(), "invalid_field") << text;
    }
  }
}

TEST(ParseDurationTest, RejectsNumbersTooLargeForUint64) {
  EXPECT_FALSE(ParseDuration("18446744073709551616ms").ok());  // 2^64
  EXPECT_FALSE(ParseDuration("99999999999999999999999s").ok());
}

TEST(ParseDurationTest, NeverWrapsOnLargeCounts) {
  // Counts the parser accepts must come back exact and positive; the rest must be rejected,
  // never returned as a wrapped-around value.
  for (const char* text :
       {"1099511627776ms", "1099511627776s", "1099511627776m", "1099511627776h", "1099511627776d",
        "1099511627777ms", "200000000000d", "5000000000000h"}) {
    auto d = ParseDuration(text);
    if (!d.ok()) {
      EXPECT_EQ(d.status().kind(), ErrorKind::kInvalidField) << text;
      continue;
    }
    EXPECT_GT(d->count(), 0) << text;
    // The value divided back by the unit gives the count.
    const std::string s(text);
    const uint64_t n = std::stoull(s);
    const std::string unit = s.substr(s.find_first_not_of("0123456789"));
    const int64_t per = unit == "ms"  ? 1
                        : unit == "s" ? 1000
                        : unit == "m" ? 60000
                        : unit == "h" ? 3600000
                                      : 86400000;
    EXPECT_EQ(static_cast<uint64_t>(d->count() / per), n) << text;
    EXPECT_EQ(d->count() % per, 0) << text;
  }
  // 2^40 + 1 is over the documented cap regardless of unit.
  EXPECT_FALSE(ParseDuration("1099511627777s").ok());
}

TEST(ParseDurationListTest, ParsesTheDefaultRetrySchedule) {
  auto list = ParseDurationList("5s,5m,30m,2h,5h,10h,10h");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  const std::vector<milliseconds> want = {std::chrono::seconds(5),  std::chrono::minutes(5),
                                          std::chrono::minutes(30), std::chrono::hours(2),
                                          std::chrono::hours(5),    std::chrono::hours(10),
                                          std::chrono::hours(10)};
  ASSERT_EQ(list->size(), 7u);
  EXPECT_EQ(*list, want);
}

TEST(ParseDurationListTest, SingleEntry) {
  auto list = ParseDurationList("250ms");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], milliseconds(250));
}

TEST(ParseDurationListTest, RejectsEmptyEntriesAndBadItems) {
  for (const char* text : {"", ",", "5s,,5m", "5s,", ",5s", "5s,5x", "5s;5m", "5s,-1m"}) {
    auto list = ParseDurationList(text);
    EXPECT_FALSE(list.ok()) << "accepted \"" << text << "\"";
    if (!list.ok()) {
      EXPECT_EQ(list.status().kind(), ErrorKind::kInvalidField) << text;
    }
  }
}

TEST(ParseSizeTest, AcceptsUnits) {
  struct Case {
    const char* text;
    uint64_t bytes;
  };
  for (const Case& c : {Case{"0", 0}, Case{"1", 1}, Case{"1048576", 1048576}, Case{"100B", 100},
                        Case{"1KiB", 1024}, Case{"512KiB", 524288}, Case{"1MiB", 1048576},
                        Case{"64MiB", 67108864}, Case{"2GiB", 2147483648ULL}, Case{"1KB", 1000},
                        Case{"1MB", 1000000}, Case{"3GB", 3000000000ULL}}) {
    auto n = ParseSize(c.text);
    ASSERT_TRUE(n.ok()) << c.text << ": " << n.status().ToString();
    EXPECT_EQ(*n, c.bytes) << c.text;
  }
}

TEST(ParseSizeTest, RejectsMalformed) {
  for (const char* text : {"", "abc", "1TiB", "1.5MiB", "MiB", "-1", "-1KiB", "1 MiB x", "1mib",
                           "1kb", "1K", "1M", "1KiBB", "18446744073709551616"}) {
    auto n = ParseSize(text);
    EXPECT_FALSE(n.ok()) << "accepted \"" << text << "\"";
    if (!n.ok()) {
      EXPECT_EQ(n.status().kind(), ErrorKind::kInvalidField) << text;
    }
  }
}

TEST(ParseSizeTest, RejectsSizesThatWouldOverflow) {
  // 2^64 / 2^30 = 2^34 GiB would wrap to 0 if multiplied unchecked.
  EXPECT_FALSE(ParseSize("17179869184GiB").ok());
  EXPECT_FALSE(ParseSize("18446744073709551615GB").ok());
}

TEST(ParseBoolTest, TrueAndFalseSpellings) {
  for (const char* t : {"1", "true", "yes", "on", "TRUE", "True", "YES", "On"}) {
    auto b = ParseBool(t);
    ASSERT_TRUE(b.ok()) << t;
    EXPECT_TRUE(*b) << t;
  }
  for (const char* f : {"0", "false", "no", "off", "FALSE", "False", "NO", "Off"}) {
    auto b = ParseBool(f);
    ASSERT_TRUE(b.ok()) << f;
    EXPECT_FALSE(*b) << f;
  }
}

TEST(ParseBoolTest, RejectsOtherWords) {
  for (const char* text : {"2", "y", "n", "truee", "enable", "t", "f", " true", "-1", "10"}) {
    auto b = ParseBool(text);
    EXPECT_FALSE(b.ok()) << "accepted \"" << text << "\"";
    if (!b.ok()) {
      EXPECT_EQ(b.status().kind(), ErrorKind::kInvalidField) << text;
    }
  }
}

}  // namespace
}  // namespace hookd
