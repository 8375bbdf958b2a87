// Bounds on JSON that comes from outside (request bodies, provider payloads) and the one way
// hookd turns a JSON value into text. nlohmann's parser is iterative, but copying and dumping a
// value recurse once per nesting level, so a document nested 100,000 deep would overflow the
// stack later; hookd refuses such documents where they enter (docs/DECISIONS.md, "JSON depth").
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace hookd {

// The deepest nesting (objects and arrays) hookd accepts in any JSON document from outside.
inline constexpr int kMaxJsonDepth = 128;

// True when `text` nests objects/arrays deeper than `max_depth`. A byte scan that skips string
// contents; it stops at the first level past the limit and never recurses. It does not validate.
bool JsonNestedDeeperThan(std::string_view text, int max_depth = kMaxJsonDepth);

// `text` parsed as one JSON value. 400 invalid_json with a message that says why (too deep, a
// number out of range, not JSON at byte N, including a raw NUL byte anywhere); never throws.
Result<nlohmann::json> ParseJsonBounded(std::string_view text);

// The message for a parse error reported by nlohmann (by id and byte position), without its
// internal prefix; used by every JSON entry point so errors read the same.
std::string JsonErrorMessage(int exception_id, std::size_t byte_position);

// `value` as compact JSON text. Strings that are not valid UTF-8 have the bad bytes replaced by
// U+FFFD instead of throwing, so serializing can never fail.
std::string DumpJson(const nlohmann::json& value);

}  // namespace hookd
