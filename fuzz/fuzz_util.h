// Helpers shared by the fuzz targets: an invariant check that aborts (so libFuzzer records the
// input as a crash) and the splitting of a fuzz input into lines, headers and a body. The input
// formats are text so the seed corpora in fuzz/corpus/ read like the requests they stand for.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_types.h"

// Aborts with `what` when `cond` is false. Unlike assert, it is not compiled out by NDEBUG.
#define FUZZ_CHECK(cond, what)                                                                \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "invariant failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                                \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace hookd::fuzz {

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Removes and returns the text up to the first '\n' (the whole input when there is none).
inline std::string_view TakeLine(std::string_view& in) {
  const size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

// Splits on '\n' into every line (the last may be empty).
inline std::vector<std::string_view> Lines(std::string_view in) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t nl = in.find('\n');
    out.push_back(in.substr(0, nl));
    if (nl == std::string_view::npos) return out;
    in.remove_prefix(nl + 1);
  }
}

// Reads "Name: value" lines up to an empty line (or the end) into `headers`, as an HTTP server
// would hand them over (the value's leading spaces trimmed); a line without ':' becomes a header
// with an empty value. Leaves the rest of `in` (the body).
inline void TakeHeaders(std::string_view& in, Headers& headers) {
  while (!in.empty()) {
    std::string_view line = TakeLine(in);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.Add(std::string(name), std::string(value));
  }
}

}  // namespace hookd::fuzz
