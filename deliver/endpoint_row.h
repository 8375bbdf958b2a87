// The text columns of an endpoints row, shared by both engines' stores so they store and read
// the same JSON: event_types, source_ids and forward_headers are JSON arrays of strings, headers
// a JSON object of strings. Entries of another kind are skipped when read. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json_limits.h"

namespace hookd {

inline std::vector<std::string> ParseEndpointStringList(std::string_view text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

inline std::vector<std::pair<std::string, std::string>> ParseEndpointHeaders(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  auto headers = nlohmann::json::parse(text, nullptr, false);
  if (headers.is_object())
    for (const auto& [k, v] : headers.items())
      if (v.is_string()) out.emplace_back(k, v.get<std::string>());
  return out;
}

inline std::string DumpEndpointHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : headers) j[k] = v;
  return DumpJson(j);
}

}  // namespace hookd
