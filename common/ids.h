// Prefixed opaque ids (API.md): "<prefix>_" + 26 Crockford base32 characters, a 48-bit
// millisecond timestamp followed by 80 random bits (the ULID layout). Time-ordered ids keep
// SQLite's unique indexes appending instead of splitting pages at random. Thread-safe when the
// Random is.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"

namespace hookd {

std::string NewId(std::string_view prefix, const Clock& clock, Random& random);

// True when `id` starts with "<prefix>_" and the rest is 26 Crockford base32 characters.
bool LooksLikeId(std::string_view prefix, std::string_view id);

}  // namespace hookd
