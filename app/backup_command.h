// `hookd backup --to FILE [--force] [serve's settings]`: the command line around BackupToFile.
// The database is found from the same flags and HOOKD_* variables as `hookd serve`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "app/settings.h"

namespace hookd {

// The text of `hookd backup --help`.
std::string BackupHelp();

// Runs the command on the arguments after "backup". Returns the exit code: 0 copied, 1 the copy
// failed (one line on `err`), 2 a usage error.
int RunBackupCommand(const std::vector<std::string>& args, const GetEnv& getenv, std::ostream& out,
                     std::ostream& err);

}  // namespace hookd
