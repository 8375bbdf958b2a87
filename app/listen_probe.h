// ProbeListen: whether an address can be listened on now, checked before start-up creates
// anything, so a busy port fails hookd with a message naming the setting and leaves no new
// database behind. The real listener binds later; a port taken in between still fails start-up,
// with the same kind of message.
#pragma once

#include <string>

#include "app/settings.h"
#include "common/status.h"

namespace hookd {

// Binds (and closes) a socket on `address` as a listener would (SO_REUSEADDR). Port 0 always
// succeeds. The error names `setting` (e.g. "--stream-listen / HOOKD_STREAM_LISTEN") and the
// address: "--stream-listen / HOOKD_STREAM_LISTEN 127.0.0.1:8081: Address already in use".
Status ProbeListen(const ListenAddress& address, const std::string& setting);

}  // namespace hookd
