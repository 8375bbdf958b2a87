#include "common/ids.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/random.h"

namespace hookd {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// A Random that always yields the same byte, to pin the random part.
class ConstantRandom final : public Random {
 public:
  explicit ConstantRandom(uint8_t byte) : byte_(byte) {}
  void Fill(uint8_t* out, size_t n) override { std::fill(out, out + n, byte_); }

 private:
  uint8_t byte_;
};

TEST(IdsTest, NewIdHasPrefixAnd26CrockfordCharacters) {
  FakeClock clock(1614265330123);
  SeededRandom random(1);
  for (const char* prefix : {"src", "evt", "whk"}) {
    const std::string id = NewId(prefix, clock, random);
    const std::string p = std::string(prefix) + "_";
    ASSERT_EQ(id.size(), p.size() + 26) << id;
    EXPECT_EQ(id.substr(0, p.size()), p) << id;
    for (char c : id.substr(p.size()))
      EXPECT_NE(kCrockford.find(c), std::string_view::npos) << "bad character in " << id;
    EXPECT_TRUE(LooksLikeId(prefix, id)) << id;
  }
}

TEST(IdsTest, EncodesTimeInTheFirstTenCharactersLikeUlid) {
  // ULID spec example: 48-bit time 1469918176385 encodes as "01ARYZ6S41".
  FakeClock clock(1469918176385);
  ConstantRandom zeros(0);
  const std::string id = NewId("evt", clock, zeros);
  EXPECT_EQ(id, "evt_01ARYZ6S41" + std::string(16, '0'));

  ConstantRandom ones(0xff);
  EXPECT_EQ(NewId("evt", clock, ones), "evt_01ARYZ6S41" + std::string(16, 'Z'));

  FakeClock epoch(0);
  EXPECT_EQ(NewId("x", epoch, zeros), "x_" + std::string(26, '0'));
}

TEST(IdsTest, LooksLikeIdAccepts) {
  EXPECT_TRUE(LooksLikeId("src", "src_01ARYZ6S41TSV4RRFFQ69G5FAV"));
  EXPECT_TRUE(LooksLikeId("evt", "evt_" + std::string(26, '0')));
  EXPECT_TRUE(LooksLikeId("evt", "evt_" + std::string(kCrockford.substr(0, 26))));
  EXPECT_TRUE(LooksLikeId("evt", "evt_" + std::string(kCrockford.substr(6, 26))));
}

TEST(IdsTest, LooksLikeIdRejects) {
  const std::string good = "01ARYZ6S41TSV4RRFFQ69G5FAV";
  EXPECT_FALSE(LooksLikeId("src", "evt_" + good));   // other prefix
  EXPECT_FALSE(LooksLikeId("src", "src-" + good));   // wrong separator
  EXPECT_FALSE(LooksLikeId("src", "src" + good));    // no separator
  EXPECT_FALSE(LooksLikeId("src", "srcx_" + good));  // longer prefix
  EXPECT_FALSE(LooksLikeId("src", "SRC_" + good));   // prefix case
  EXPECT_FALSE(LooksLikeId("src", good));
  EXPECT_FALSE(LooksLikeId("src", "src_" + good.substr(1)));  // 25 characters
  EXPECT_FALSE(LooksLikeId("src", "src_" + good + "0"));      // 27 characters
  EXPECT_FALSE(LooksLikeId("src", "src_"));
  EXPECT_FALSE(LooksLikeId("src", ""));
  // Letters outside Crockford's alphabet (I, L, O, U), lower case, punctuation.
  for (char bad : {'I', 'L', 'O', 'U', 'a', 'z', '-', '_', ' ', '\0', '/'}) {
    std::string id = "src_" + good;
    id[10] = bad;
    EXPECT_FALSE(LooksLikeId("src", id)) << "accepted character " << static_cast<int>(bad);
  }
}

TEST(IdsTest, IdsFromAnAdvancingClockSortInTimeOrder) {
  FakeClock clock(1614265330123);
  SeededRandom random(42);
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(NewId("evt", clock, random));
    clock.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  // Ordering holds even when the later id has the smallest possible random part and the earlier
  // one the largest.
  ConstantRandom hi(0xff), lo(0x00);
  FakeClock c(1614265330123);
  const std::string earlier = NewId("evt", c, hi);
  c.Advance(std::chrono::milliseconds(1));
  const std::string later = NewId("evt", c, lo);
  EXPECT_LT(earlier, later);
}

TEST(IdsTest, TimeOrderAcrossCharacterBoundaries) {
  // Crossing from 31 to 32 ms carries into the next base32 digit.
  FakeClock clock(31);
  ConstantRandom r(0x5a);
  const std::string a = NewId("evt", clock, r);
  clock.Advance(std::chrono::milliseconds(1));
  const std::string b = NewId("evt", clock, r);
  EXPECT_LT(a, b);
}

TEST(IdsTest, DifferentRandomGivesDifferentIds) {
  FakeClock clock(1614265330123);
  SeededRandom r1(1), r2(2);
  const std::string a = NewId("evt", clock, r1);
  const std::string b = NewId("evt", clock, r2);
  EXPECT_NE(a, b);
  // Same millisecond: the time part is shared, the random part differs.
  EXPECT_EQ(a.substr(0, 14), b.substr(0, 14));
  EXPECT_NE(a.substr(14), b.substr(14));

  // Successive ids from one generator within one millisecond differ too.
  SeededRandom r(7);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(NewId("evt", clock, r));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdsTest, SameSeedSameClockIsDeterministic) {
  FakeClock clock(1614265330123);
  SeededRandom r1(99), r2(99);
  EXPECT_EQ(NewId("src", clock, r1), NewId("src", clock, r2));
}

}  // namespace
}  // namespace hookd
