// `hookd tail` (API.md, "The command line"): follows the status stream (SSE on the stream
// listener, read with Boost.Beast), one line per entry, or each entry's JSON with --json,
// filtered by --types, --endpoint, --source and --app. A dropped connection is resumed with
// Last-Event-ID after the last entry printed, so nothing is missed or printed twice; a refused
// credential or filter ends it with one error line (exit 1). Runs until interrupted.
#pragma once

#include <ostream>

#include "cli/api_client.h"
#include "cli/cli_args.h"

namespace hookd::cli {

// `color`: ANSI colours for the types (stdout is a terminal).
int RunTail(const Args& args, ApiClient& api, std::ostream& out, std::ostream& err, bool color);

// One entry as `tail` prints it without --json: "HH:MM:SS #seq type ids status…".
std::string TailLine(const std::string& entry_json, bool color);

}  // namespace hookd::cli
