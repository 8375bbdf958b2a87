#include "common/time_format.h"

#include <cstdint>
#include <optional>

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(FormatRfc3339Test, Epoch) { EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z"); }

TEST(FormatRfc3339Test, KnownTimestamps) {
  EXPECT_EQ(FormatRfc3339(1614265330123), "2021-02-25T15:02:10.123Z");
  EXPECT_EQ(FormatRfc3339(1614265330000), "2021-02-25T15:02:10.000Z");
  EXPECT_EQ(FormatRfc3339(1614265330007), "2021-02-25T15:02:10.007Z");
  EXPECT_EQ(FormatRfc3339(1709251199999), "2024-02-29T23:59:59.999Z");  // leap day
  EXPECT_EQ(FormatRfc3339(253402300799000), "9999-12-31T23:59:59.000Z");
}

TEST(FormatRfc3339Test, BeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(-1000), "1969-12-31T23:59:59.000Z");
}

TEST(ParseRfc3339Test, ParsesUtc) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), std::optional<int64_t>(0));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00.000Z"), std::optional<int64_t>(0));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.123Z"), std::optional<int64_t>(1614265330123));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10Z"), std::optional<int64_t>(1614265330000));
  EXPECT_EQ(ParseRfc3339("2024-02-29T23:59:59.999Z"), std::optional<int64_t>(1709251199999));
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59Z"), std::optional<int64_t>(-1000));
}

TEST(ParseRfc3339Test, RoundTripsFormattedValues) {
  for (int64_t ms :
       {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1614265330123}, int64_t{1709251199999},
        int64_t{4102444800000}, int64_t{-1}, int64_t{-86400001}, int64_t{253402300799999}}) {
    const std::string text = FormatRfc3339(ms);
    EXPECT_EQ(ParseRfc3339(text), std::optional<int64_t>(ms)) << text;
  }
}

TEST(ParseRfc3339Test, Offsets) {
  // 17:02:10.123+02:00 is 15:02:10.123Z.
  EXPECT_EQ(ParseRfc3339("2021-02-25T17:02:10.123+02:00"), std::optional<int64_t>(1614265330123));
  EXPECT_EQ(ParseRfc3339("2021-02-25T10:02:10.123-05:00"), std::optional<int64_t>(1614265330123));
  EXPECT_EQ(ParseRfc3339("2021-02-25T20:32:10+05:30"), std::optional<int64_t>(1614265330000));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10+00:00"), std::optional<int64_t>(1614265330000));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10-00:00"), std::optional<int64_t>(1614265330000));
  // An offset that crosses midnight and the year.
  EXPECT_EQ(ParseRfc3339("1970-01-01T01:00:00+02:00"), std::optional<int64_t>(-3600000));
}

TEST(ParseRfc3339Test, FractionalDigits) {
  const int64_t base = 1614265330000;
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.1Z"), std::optional<int64_t>(base + 100));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.12Z"), std::optional<int64_t>(base + 120));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.123Z"), std::optional<int64_t>(base + 123));
  // Digits beyond milliseconds are truncated, not rounded and not scaled.
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.123456Z"), std::optional<int64_t>(base + 123));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.999999999Z"), std::optional<int64_t>(base + 999));
  EXPECT_EQ(ParseRfc3339("2021-02-25T15:02:10.05+00:00"), std::optional<int64_t>(base + 50));
}

TEST(ParseRfc3339Test, RejectsMalformed) {
  for (const char* text : {
           "",
           "garbage",
           "not-a-timestamp-at-all",
           "2021-13-01T00:00:00Z",        // month 13
           "2021-00-10T00:00:00Z",        // month 0
           "2021-02-30T00:00:00Z",        // Feb 30
           "2021-02-29T00:00:00Z",        // not a leap year
           "2021-04-31T00:00:00Z",        // April has 30 days
           "2021-01-00T00:00:00Z",        // day 0
           "2021-01-32T00:00:00Z",        // day 32
           "2021-02-25T24:00:00Z",        // hour 24
           "2021-02-25T15:60:00Z",        // minute 60
           "2021-02-25T15:02:61Z",        // second 61
           "2021-02-25T15:02:10",         // missing Z
           "2021-02-25T15:02:10.123",     // missing Z after fraction
           "2021-02-25 15:02:10Z",        // space separator
           "2021-02-25T15:02:10.Z",       // dot without digits
           "2021-02-25T15:02:10ZZ",       // trailing junk
           "2021-02-25T15:02:10Z ",       // trailing space
           " 2021-02-25T15:02:10Z",       // leading space
           "2021-02-25T15:02:10+0200",    // offset without colon
           "2021-02-25T15:02:10+02",      // short offset
           "2021-02-25T15:02:10+02:00Z",  // offset and Z
           "2021-02-25T15:02:10+24:00",   // offset hour out of range
           "2021-02-25T15:02:10+02:60",   // offset minute out of range
           "2021-2-25T15:02:10Z",         // one-digit month
           "21-02-25T15:02:10Z",          // two-digit year
           "2021/02/25T15:02:10Z",        // wrong separators
           "2021-02-25T15-02-10Z",
           "2021-02-25T1a:02:10Z",       // letter in a field
           "-021-02-25T15:02:10Z",       // sign in the year
           "2021-02-25T15:02:10.12a3Z",  // letter in the fraction
           "1614265330123",              // a number, not a timestamp
       }) {
    EXPECT_EQ(ParseRfc3339(text), std::nullopt) << "accepted \"" << text << "\"";
  }
}

}  // namespace
}  // namespace hookd
