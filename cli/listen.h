// `hookd listen --forward-to <url>` (API.md, "The command line"): opens a WebSocket to hookd's
// stream listener (GET /api/v1/listen), which makes a temporary endpoint of kind "cli" and hands
// its deliveries down the socket; each is POSTed to the local URL (LocalForwarder) and its status,
// time and the start of the answer go back up as the attempt's result. Prints the endpoint's
// signing secret at start and a line per delivery (--json: one JSON object per delivery). A
// dropped socket reconnects with backoff and resumes the same endpoint; Ctrl-C (or SIGTERM) says
// goodbye, which removes the endpoint (what still waited for it ends failed, visibly). A second
// Ctrl-C leaves at once.
#pragma once

#include <ostream>
#include <string>

#include "cli/api_client.h"
#include "cli/cli_args.h"
#include "common/listen_protocol.h"

namespace hookd::cli {

int RunListen(const Args& args, ApiClient& api, std::ostream& out, std::ostream& err);

// The line printed for a delivery: "HH:MM:SS <event type> <message id> -> <status> (<ms> ms)",
// or "-> error: <why>"; `now_s` is the time printed (unix seconds).
std::string ListenLine(const ListenDelivery& d, const ListenResult& r, int64_t now_s);
// The same as one JSON object (--json).
std::string ListenJsonLine(const ListenDelivery& d, const ListenResult& r, int64_t now_s);

}  // namespace hookd::cli
