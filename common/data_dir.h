// The data directory and the files hookd keeps in it (docs/DECISIONS.md, "The data directory").
//
// A missing data directory is created with mode 0700 (its missing parents as the umask has it);
// an existing one keeps its mode, but one that other users can write to (group- or
// world-writable, such as /tmp) is refused, since they could replace hookd.db or admin_token.
// Files hookd creates there are 0600. Called once at start-up, before anything is opened.
#pragma once

#include <string>

#include "common/status.h"

namespace hookd {

// Creates `dir` (0700) when missing; refuses a path that is not a directory or that group or
// others may write to. Nothing is created inside `dir`.
Status PrepareDataDir(const std::string& dir);

// Creates `path` empty with mode 0600 unless it exists (an existing file keeps its mode). For
// the database: SQLite gives its -wal and -shm files the mode of the database file.
Status CreatePrivateFile(const std::string& path);

}  // namespace hookd
