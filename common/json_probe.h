// ProbeJsonObject: validates a JSON object and pulls out a few of its top-level string members
// without building a document (the verifiers read a body's id and type; the status streams an
// entry's ids). Pure, thread-safe.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace hookd {

// The top-level string members of the JSON object `body` whose names are in `keys` (members
// that are not strings are left out). 400 invalid_json unless `body` is exactly one valid JSON
// object. Uses nlohmann's SAX parser: the whole body is validated, nothing else is kept.
Result<std::map<std::string, std::string, std::less<>>> ProbeJsonObject(
    std::string_view body, std::initializer_list<std::string_view> keys);

}  // namespace hookd
