// The command line's arguments: positional words and `--flag value` / `--flag=value` options, with
// the flags that take no value named up front. Pure; parses nothing but the words given.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace hookd::cli {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;             // "--data" -> its value; a switch -> ""
  std::map<std::string, std::vector<std::string>> lists;  // every value of a repeatable option
  bool Has(const std::string& name) const { return options.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const {
    auto it = options.find(name);
    return it == options.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
};

// `allowed`: the options the command knows (with their "--"); `switches`: those taking no value;
// `repeatable`: those that may be given more than once (their values go to `lists`). An unknown
// option, a missing value or another option given twice is an error naming it.
Result<Args> ParseArgs(const std::vector<std::string>& words, const std::set<std::string>& allowed,
                       const std::set<std::string>& switches,
                       const std::set<std::string>& repeatable = {});

}  // namespace hookd::cli
