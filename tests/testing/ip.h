// An address from its literal, for tests that name addresses as text.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "deliver/ip_address.h"

namespace hookd::testing {

// The address `s` spells; a test failure (and the all-zero address) when it spells none.
inline IpAddress Ip(std::string_view s) {
  auto addr = ParseIpLiteral(s);
  EXPECT_TRUE(addr.has_value()) << s;
  return addr.value_or(IpAddress{});
}

}  // namespace hookd::testing
