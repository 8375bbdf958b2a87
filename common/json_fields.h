// Reading a few top-level string members of a JSON object text without building the document:
// the status streams need only an entry's ids to route it, and its text is passed on as it is.
// Pure, thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace hookd {

// For each (name, out) in `wanted`, sets *out to the value of the top-level member `name` when
// that value is a string (nested members of the same name do not count). Returns false, with the
// outputs unspecified, when `text` is not one valid JSON object.
bool ReadTopLevelStrings(std::string_view text,
                         std::initializer_list<std::pair<std::string_view, std::string*>> wanted);

}  // namespace hookd
