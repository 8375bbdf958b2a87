// `hookd backup`'s file handling around the online copy (common/db_backup.h): the copy is made
// in a temporary file beside the target (mode 0600), checked, synced, and only then renamed to
// the target, so the target is either absent or a complete, checked copy. An existing target is
// refused unless `force`, and never when it is the live database itself.
#pragma once

#include <string>

#include "common/db_backup.h"
#include "common/result.h"

namespace hookd {

// Copies the live database `db_path` into `target`. Errors name the path involved; on any error
// nothing is left at `target` that was not there before, nor a temporary file.
Result<BackupStats> BackupToFile(const std::string& db_path, const std::string& target, bool force,
                                 const BackupOptions& options = {});

}  // namespace hookd
