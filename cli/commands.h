// The command line's client commands (API.md, "The command line"): `hookd send`, `trigger`,
// `retry`, `recover` and `login`, each talking to a running hookd over its API. Exit codes: 0
// done, 1 an error (one line on `err`), 2 a usage error; `--help` prints the command's usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "common/random.h"

namespace hookd::cli {

// True for the names RunClientCommand knows.
bool IsClientCommand(const std::string& name);
// `now_s`: unix seconds (the samples' timestamps).
int RunClientCommand(const std::string& name, const std::vector<std::string>& words,
                     const GetEnv& getenv, std::ostream& out, std::ostream& err, Random& random,
                     int64_t now_s);

}  // namespace hookd::cli
