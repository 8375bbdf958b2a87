#include "cli/cli_args.h"

namespace hookd::cli {

Result<Args> ParseArgs(const std::vector<std::string>& words, const std::set<std::string>& allowed,
                       const std::set<std::string>& switches,
                       const std::set<std::string>& repeatable) {
  Args out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!w.starts_with("--") || w == "--") {
      out.positional.push_back(w);
      continue;
    }
    std::string name = w;
    std::optional<std::string> value;
    if (size_t eq = w.find('='); eq != std::string::npos) {
      name = w.substr(0, eq);
      value = w.substr(eq + 1);
    }
    if (!allowed.count(name)) return Status::InvalidField("unknown option " + name);
    if (out.options.count(name) && !repeatable.count(name))
      return Status::InvalidField(name + " given twice");
    if (switches.count(name)) {
      if (value) return Status::InvalidField(name + " takes no value");
      out.options[name] = "";
      continue;
    }
    if (!value) {
      if (i + 1 >= words.size()) return Status::InvalidField(name + " needs a value");
      value = words[++i];
    }
    out.options[name] = *value;
    out.lists[name].push_back(*value);
  }
  return out;
}

}  // namespace hookd::cli
